//! What Rappu sends to create a fault report: `POST ilmoitukset/lisaa` with the documented
//! body (`ApiIlmoitusRequestModel`, vendor (help page)), which answers the new report's id
//! only. Seed 001 also names `ilmoitukset/base64`, with no body; the help page documents
//! `lisaa` with attachments, so Rappu uses `lisaa` alone.
//!
//! The documented model has no topic, location or correlation id: the topic chooses the
//! space (`TilaId`: the apartment, or its staircase for common areas, none for outdoors),
//! the location and the topic go in `TyotehtavanLisatiedot`, and Rappu's reference — the
//! report's own UUID, on a line of its own at the end of `TyotehtavanKuvaus` — is what makes
//! a report findable again after a lost answer on every account. `UlkoinenTunniste`
//! (*assumed*) is sent too and relied on only where the go-live check found it kept.

use serde::Serialize;

/// `TyotehtavanKuvaus`: at most this many characters (vendor (help page)).
pub const MAX_DESCRIPTION: usize = 8000;
/// `Otsikko` and pick-list values: at most this many characters (vendor (help page)).
pub const MAX_SHORT: usize = 255;

/// The line Rappu ends a report's description with: `Rappu-viite: <uuid>`.
pub fn reference_line(reference: &str) -> String {
    format!("Rappu-viite: {reference}")
}

/// Whether `description` carries Rappu's reference `reference` (on a line of its own).
pub fn has_reference(description: &str, reference: &str) -> bool {
    let line = reference_line(reference);
    description.lines().any(|l| l.trim() == line)
}

/// A party in a create body (`ApiIlmoitusOsapuoliRequest`; *assumed* fields: the stored
/// help page ends before its model).
#[derive(Debug, Clone, Serialize)]
pub struct ReportParty {
    /// `OsapuoliId`.
    #[serde(rename = "OsapuoliId")]
    pub party_id: u64,
    /// `Puhelin`.
    #[serde(rename = "Puhelin", skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// One attachment in the help's shared file model (`{FileName, ContentType, Description,
/// Base64Content}`, vendor (help page)); the collection's name `Liitteet` is *assumed*.
#[derive(Debug, Clone, Serialize)]
pub struct NewAttachment {
    /// `FileName`.
    #[serde(rename = "FileName")]
    pub file_name: String,
    /// `ContentType`.
    #[serde(rename = "ContentType")]
    pub content_type: String,
    /// `Description`.
    #[serde(rename = "Description", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Base64Content`: standard base64.
    #[serde(rename = "Base64Content")]
    pub content_base64: String,
}

/// Body of `POST ilmoitukset/lisaa`.
#[derive(Debug, Clone, Serialize)]
pub struct NewFaultReportBody {
    /// `Otsikko` (required, at most 255 characters).
    #[serde(rename = "Otsikko")]
    pub title: String,
    /// `TyotehtavanKuvaus` (required, at most 8,000): the resident's description and, on
    /// its last line, Rappu's reference.
    #[serde(rename = "TyotehtavanKuvaus")]
    pub description: String,
    /// `TyotehtavanLisatiedot`: topic, location and contact phone as text.
    #[serde(
        rename = "TyotehtavanLisatiedot",
        skip_serializing_if = "Option::is_none"
    )]
    pub extra: Option<String>,
    /// `KustannuspaikkaId` (required): the property.
    #[serde(rename = "KustannuspaikkaId")]
    pub cost_centre_id: u64,
    /// `TilaId`: the space (the apartment, or the staircase for common areas).
    #[serde(rename = "TilaId", skip_serializing_if = "Option::is_none")]
    pub space_id: Option<u64>,
    /// `Sisaanpaasy`: the account's pick-list value for the master-key permission.
    #[serde(rename = "Sisaanpaasy")]
    pub entry: String,
    /// `Kotielaimet`.
    #[serde(rename = "Kotielaimet", skip_serializing_if = "Option::is_none")]
    pub pets: Option<String>,
    /// `Ilmoittaja`: the resident (none for the go-live check's test report).
    #[serde(rename = "Ilmoittaja", skip_serializing_if = "Option::is_none")]
    pub reporter: Option<ReportParty>,
    /// `UlkoinenTunniste` (*assumed*; ignored by accounts that do not keep it).
    #[serde(rename = "UlkoinenTunniste")]
    pub external_id: String,
    /// `Liitteet`.
    #[serde(rename = "Liitteet", skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<NewAttachment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_the_documented_names_and_the_reference() {
        let body = NewFaultReportBody {
            title: "Hana vuotaa".into(),
            description: format!("Tippuu.\n\n{}", reference_line("abc")),
            extra: Some("Sijainti: keittiö".into()),
            cost_centre_id: 100_000,
            space_id: Some(100_012),
            entry: "Yleisavaimella".into(),
            pets: Some("Kissa".into()),
            reporter: Some(ReportParty {
                party_id: 200_002,
                phone: Some("040 123 4567".into()),
            }),
            external_id: "abc".into(),
            attachments: vec![NewAttachment {
                file_name: "kuva-1.jpg".into(),
                content_type: "image/jpeg".into(),
                description: None,
                content_base64: "AAAA".into(),
            }],
        };
        let json = serde_json::to_value(&body).expect("json");
        assert_eq!(json["TyotehtavanKuvaus"], "Tippuu.\n\nRappu-viite: abc");
        assert_eq!(json["Ilmoittaja"]["OsapuoliId"], 200_002);
        assert_eq!(json["Liitteet"][0]["Base64Content"], "AAAA");
        assert_eq!(json["Sisaanpaasy"], "Yleisavaimella");
        assert!(has_reference("x\nRappu-viite: abc", "abc"));
        assert!(!has_reference("x Rappu-viite: abc", "abc"));
        assert!(!has_reference("Rappu-viite: abcd", "abc"));
    }
}
