use rappu_shared::report::ReportTopic;

use super::*;
use crate::reports::outbox_db::{self, Due};
use crate::store::Store;

fn owner() -> Owner {
    Owner {
        account: "demo".into(),
        party: 200_002,
        apartment: 100_003,
    }
}

fn report() -> NewFaultReport {
    NewFaultReport {
        topic: ReportTopic::Apartment,
        title: "Hana vuotaa".into(),
        description: "Tippuu".into(),
        location: None,
        master_key_allowed: true,
        pets: None,
        contact_phone: "040 123 4567".into(),
        photos: vec![],
    }
}

#[tokio::test]
async fn a_stored_report_reads_back_and_becomes_due() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let photo = Photo {
        media_type: "image/jpeg",
        file_name: "kuva-1.jpg".into(),
        data: vec![0xFF, 0xD8],
    };
    let now = Utc::now();
    store
        .call(move |c| c.durably(|tx| insert(tx, "r1", &owner(), &report(), &[photo], now)))
        .await
        .unwrap();
    let row = store
        .call(|c| one(c, &owner(), "r1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.report, report());
    assert_eq!(row.photo_count, 1);
    assert_eq!(row.delivery, Delivery::Pending);
    let (rows, total) = store.call(|c| page(c, &owner(), 0, 10)).await.unwrap();
    assert_eq!((rows.len(), total), (1, 1));
    let lease = outbox_db::Lease {
        owner: "me".into(),
        length: chrono::Duration::seconds(30),
    };
    let due = store
        .call(move |c| outbox_db::claim_due(c, Utc::now(), &lease))
        .await
        .unwrap();
    match due {
        Due::Now(job) => assert_eq!(job.photos[0].data, vec![0xFF, 0xD8]),
        other => panic!("{other:?}"),
    }
}
