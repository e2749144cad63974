//! Seeds from the simulator: its answers in every dialect, and the bundles it delivers.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use rappu_fuzz::wire::{self, Model};
use rappu_sim::{Dialect, SimConfig, Simulator, WebhookConfig, WebhookListener};
use serde_json::{Value, json};

use super::{Result, write};

fn sim_config() -> SimConfig {
    SimConfig {
        today: NaiveDate::from_ymd_opt(2026, 11, 20),
        webhook: WebhookConfig {
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(2),
            max_attempts: 1,
        },
        ..SimConfig::demo()
    }
}

/// An authenticated caller of the simulator's account `demo`.
struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Vec<u8>> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-TampuuriAvain", "5A1B2C3D-4E5F-6789")
            .header("X-AsiakasNimi", "Rappu Demo Oy")
            .header("X-Ohjelmistoversio", "rappu-fuzz-seeds/1")
            .header("X-TiliNimi", "demo")
            .header("X-Kayttajatunnus", "rappu")
            .header("X-Salasana", "demo-salasana")
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?.to_vec();
        if !status.is_success() {
            return Err(format!("{path}: {status}: {}", String::from_utf8_lossy(&bytes)).into());
        }
        Ok(bytes)
    }

    async fn get(&self, path: &str) -> Result<Vec<u8>> {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Vec<u8>> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

/// One answer of every route the client reads, in `dialect`.
pub async fn tampuuri(dir: &Path, name: &str, dialect: Dialect) -> Result<()> {
    let running = Simulator::spawn(sim_config().with_dialect("demo", dialect)).await?;
    let api = Api {
        http: reqwest::Client::builder().no_proxy().build()?,
        base: running.base_url(),
    };
    let summary = running.sim().summary("demo").ok_or("no account demo")?;
    let property = summary.properties.first().ok_or("no property")?;
    let building = property.buildings.first().ok_or("no building")?.id;
    let resident = summary.residents.plain.first().ok_or("no resident")?;
    let page = "?Limit=3&Offset=0";
    let wide = "?Limit=12&Offset=0";
    let mut answers: Vec<(Model, &str, Vec<u8>)> =
        vec![
        (Model::Object, "cost_centres", api.get(&format!("kustannuspaikat/selaa{page}")).await?),
        (Model::Object, "object", api.get(&format!("kohteet/{}", property.id)).await?),
        (
            Model::Object,
            "apartments",
            api.post(
                &format!("kohteet/{building}/selaa{page}"),
                json!({"KohdeMetatyypit": ["Huoneisto"]}),
            )
            .await?,
        ),
        (
            Model::Connection,
            "residents",
            api.post(
                &format!("osapuolet/yhteydet/selaa{page}"),
                json!({"KohdeId": building, "SisallytaAlakohteet": true, "Roolit": ["Asukas"]}),
            )
            .await?,
        ),
        (
            Model::Connection,
            "owners",
            api.post(
                &format!("osapuolet/yhteydet/selaa{wide}"),
                json!({"KohdeId": building, "SisallytaAlakohteet": true, "Roolit": ["Omistaja"]}),
            )
            .await?,
        ),
        (Model::Party, "party", api.get(&format!("osapuolet/{}", resident.party_id)).await?),
        (
            Model::PartySummary,
            "parties",
            api.post(
                "osapuolitiedot/osapuolet/hae",
                json!({"OsapuoliIdt": [resident.party_id, summary.managers.first()]}),
            )
            .await?,
        ),
        (
            Model::Announcement,
            "announcements",
            api.post(&format!("uutiset/selaa{wide}"), json!({"KohdeId": building}))
                .await?,
        ),
        (
            Model::FaultReport,
            "fault_reports",
            api.post(&format!("ilmoitukset/selaa{page}"), json!({})).await?,
        ),
    ];
    let created = api
        .post(
            "ilmoitukset/lisaa",
            json!({
                "Otsikko": "Keittiön hana vuotaa",
                "TyotehtavanKuvaus": "Tippuu yöllä.\nRappu-viite: 0190a0b4-7c1e-7000-8000-000000000001",
                "TyotehtavanLisatiedot": "Sijainti: Keittiö",
                "KustannuspaikkaId": property.id,
                "TilaId": resident.apartment_id,
                "Sisaanpaasy": "Kyllä",
                "Ilmoittaja": {"OsapuoliId": resident.party_id},
                "UlkoinenTunniste": "0190a0b4-7c1e-7000-8000-000000000001",
            }),
        )
        .await?;
    let id: Value = serde_json::from_slice(&created)?;
    let id = id
        .get("Id")
        .unwrap_or(&id)
        .as_u64()
        .ok_or("no created id")?;
    api.post(&format!("ilmoitukset/{id}/vastaanota"), json!({}))
        .await?;
    api.post(
        &format!("ilmoitukset/{id}/odotukseen"),
        json!({"Syy": "Osat tilattu", "IlmoitaOsallisille": true}),
    )
    .await?;
    answers.push((Model::CreatedId, "created", created));
    answers.push((
        Model::FaultReport,
        "fault_report",
        api.get(&format!("ilmoitukset/{id}")).await?,
    ));
    for (model, what, body) in answers {
        write(dir, &format!("{name}-{what}"), &wire::input(model, &body))?;
    }
    running.shutdown().await;
    Ok(())
}

/// The bundles the simulator delivers for a few changes, exactly as they arrive.
pub async fn webhooks(dir: &Path) -> Result<()> {
    let received: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| async move {
            sink.lock()
                .map_err(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR)?
                .push(body.to_vec());
            Ok::<_, axum::http::StatusCode>("ok")
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let running = Simulator::spawn(sim_config()).await?;
    running.sim().add_listener(WebhookListener {
        url: hook,
        events: vec!["*".into()],
        header: None,
        account: Some("demo".into()),
    });
    let api = Api {
        http: reqwest::Client::builder().no_proxy().build()?,
        base: running.base_url(),
    };
    let summary = running.sim().summary("demo").ok_or("no account demo")?;
    let property = summary.properties.first().ok_or("no property")?;
    let resident = summary.residents.plain.first().ok_or("no resident")?;
    let admin = running.admin_url();
    let http = &api.http;
    http.post(format!("{admin}accounts/demo/announcements"))
        .json(&json!({"KohdeId": property.id, "Otsikko": "Vesikatko", "Sisalto": "Ti 8-12"}))
        .send()
        .await?
        .error_for_status()?;
    http.post(format!("{admin}accounts/demo/connections"))
        .json(
            &json!({"KohdeId": resident.apartment_id, "Etunimi": "Aino", "Sukunimi": "Virtanen",
                      "Alkaa": "2026-11-01", "Turvakielto": true}),
        )
        .send()
        .await?
        .error_for_status()?;
    api.post(
        "ilmoitukset/lisaa",
        json!({"Otsikko": "Ovi jumittaa", "TyotehtavanKuvaus": "Rapun ovi ei sulkeudu.",
               "KustannuspaikkaId": property.id}),
    )
    .await?;
    for _ in 0..200 {
        if received.lock().map_err(|_| "poisoned")?.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let bundles = received.lock().map_err(|_| "poisoned")?.clone();
    if bundles.is_empty() {
        return Err("the simulator delivered no bundle".into());
    }
    for (i, bundle) in bundles.iter().enumerate() {
        write(dir, &format!("sim-{i}"), bundle)?;
    }
    running.shutdown().await;
    // The vendor's sample (its seed document), and the odd shapes the reader tolerates.
    write(
        dir,
        "vendor-sample",
        br#"{ "Id": "cf33051d975d4c76824de403d2930e3e", "Attempt": 1, "Properties": {}, "Notifications": [ { "Action": "OsapuoliTietoMuokkaa", "Id": "2122421e-b637-ec11-a2c1-b07b25e407ff", "Account": "*****", "ReferenceId": "199497", "ReferenceSecondaryId": "", "ReferenceData": "14", "ReferenceJson": "", "Timestamp": "2021-10-28T06:13:18.12", "DateTimeZone": "UTC" } ] }"#,
    )?;
    write(
        dir,
        "odd-shapes",
        br#"{"Id": 7, "Attempt": 5, "Notifications": [{"Action": "Uusi", "ReferenceId": 5, "ReferenceData": null, "Extra": [1]}, {"Id": " ", "Action": true}]}"#,
    )?;
    Ok(())
}
