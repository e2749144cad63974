//! The bundle format, read tolerantly: unknown fields are ignored, ids may be strings or
//! numbers, and a missing field is empty rather than an error.

use serde::{Deserialize, Deserializer};

use crate::store::webhooks::NotificationRecord;

/// A delivery from Tampuuri.
#[derive(Debug, Clone, Deserialize)]
pub struct Bundle {
    /// Bundle id (same on every retry).
    #[serde(rename = "Id", default, deserialize_with = "text")]
    pub id: String,
    /// Delivery attempt, 1 to 5.
    #[serde(rename = "Attempt", default)]
    pub attempt: i64,
    /// The notifications.
    #[serde(rename = "Notifications", default)]
    pub notifications: Vec<Notification>,
}

/// One notification.
#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    /// Notification id: the de-duplication key.
    #[serde(rename = "Id", default, deserialize_with = "text")]
    pub id: String,
    /// What happened, e.g. `KohdeOsapuoliMuokkaa`.
    #[serde(rename = "Action", default, deserialize_with = "text")]
    pub action: String,
    /// The changed thing's id.
    #[serde(rename = "ReferenceId", default, deserialize_with = "text")]
    pub reference_id: String,
    /// A second id (e.g. the party of a connection).
    #[serde(rename = "ReferenceSecondaryId", default, deserialize_with = "text")]
    pub reference_secondary_id: String,
    /// Extra data (e.g. the object of a fault report).
    #[serde(rename = "ReferenceData", default, deserialize_with = "text")]
    pub reference_data: String,
}

/// Any JSON scalar as text; anything else as empty.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => String::new(),
    })
}

impl Bundle {
    /// The notifications as records of `account`. A notification without an id cannot be
    /// de-duplicated; it gets a fresh one, so it is applied every time it arrives.
    pub fn records(&self, account: &str) -> Vec<NotificationRecord> {
        self.notifications
            .iter()
            .map(|n| NotificationRecord {
                id: if n.id.trim().is_empty() {
                    format!("generated-{}", uuid::Uuid::now_v7())
                } else {
                    format!("{account}/{}", n.id.trim())
                },
                account: account.to_owned(),
                bundle_id: self.id.clone(),
                attempt: self.attempt,
                action: n.action.trim().to_owned(),
                reference_id: n.reference_id.trim().to_owned(),
                reference_secondary_id: n.reference_secondary_id.trim().to_owned(),
                reference_data: n.reference_data.trim().to_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_vendors_sample_and_odd_variants() {
        let b: Bundle = serde_json::from_str(
            r#"{ "Id": "cf33051d975d4c76824de403d2930e3e", "Attempt": 1, "Properties": {},
                 "Notifications": [ { "Action": "OsapuoliTietoMuokkaa",
                 "Id": "2122421e-b637-ec11-a2c1-b07b25e407ff", "Account": "*****",
                 "ReferenceId": "199497", "ReferenceSecondaryId": "", "ReferenceData": "14",
                 "ReferenceJson": "", "Timestamp": "2021-10-28T06:13:18.12", "DateTimeZone": "UTC" },
                 { "Action": "Uusi", "ReferenceId": 5, "ReferenceData": null, "Extra": [1] } ] }"#,
        )
        .unwrap();
        assert_eq!(b.notifications.len(), 2);
        let records = b.records("demo");
        assert_eq!(records[0].id, "demo/2122421e-b637-ec11-a2c1-b07b25e407ff");
        assert_eq!(records[0].reference_id, "199497");
        assert_eq!(records[1].reference_id, "5");
        assert!(records[1].id.starts_with("generated-"));
        let empty: Bundle = serde_json::from_str("{}").unwrap();
        assert!(empty.notifications.is_empty());
    }
}
