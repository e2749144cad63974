//! What Rappu sends to create a fault report (`POST ilmoitukset/base64`). *Assumed field
//! names* (the vendor names the fields in prose only, see `sim/README.md`): verify them
//! against the account's API help before going live.

use serde::Serialize;

/// `Aihe`: what the report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Topic {
    /// `Huoneisto`: the apartment.
    #[serde(rename = "Huoneisto")]
    Apartment,
    /// `YleisetTilat`: common areas.
    #[serde(rename = "YleisetTilat")]
    CommonAreas,
    /// `Ulkoalueet`: outdoors.
    #[serde(rename = "Ulkoalueet")]
    Outdoors,
}

impl Topic {
    /// The wire value, for reading `FaultReport::topic` back.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apartment => "Huoneisto",
            Self::CommonAreas => "YleisetTilat",
            Self::Outdoors => "Ulkoalueet",
        }
    }

    /// Parses a wire value.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Apartment, Self::CommonAreas, Self::Outdoors]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// One attachment, its content base64-encoded (`Liitteet[]`).
#[derive(Debug, Clone, Serialize)]
pub struct NewAttachment {
    /// `Tiedostonimi`.
    #[serde(rename = "Tiedostonimi")]
    pub file_name: String,
    /// `Tyyppi`: the media type.
    #[serde(rename = "Tyyppi")]
    pub media_type: String,
    /// `Sisalto`: standard base64.
    #[serde(rename = "Sisalto")]
    pub content_base64: String,
}

/// Body of `POST ilmoitukset/base64`.
#[derive(Debug, Clone, Serialize)]
pub struct NewFaultReportBody {
    /// `Otsikko`.
    #[serde(rename = "Otsikko")]
    pub title: String,
    /// `Kuvaus`.
    #[serde(rename = "Kuvaus")]
    pub description: String,
    /// `Aihe`.
    #[serde(rename = "Aihe")]
    pub topic: Topic,
    /// `KohdeId`: the apartment, or the object of the common areas or yard.
    #[serde(rename = "KohdeId")]
    pub object_id: u64,
    /// `Sijainti`.
    #[serde(rename = "Sijainti", skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `Sisaanpaasy`: entry with a master key allowed.
    #[serde(rename = "Sisaanpaasy")]
    pub entry_allowed: bool,
    /// `Kotielaimet`.
    #[serde(rename = "Kotielaimet", skip_serializing_if = "Option::is_none")]
    pub pets: Option<String>,
    /// `IlmoittajaId`: the resident's party.
    #[serde(rename = "IlmoittajaId")]
    pub reporter_id: u64,
    /// `IlmoittajanPuhelin`.
    #[serde(rename = "IlmoittajanPuhelin")]
    pub reporter_phone: String,
    /// `UlkoinenTunniste`: Rappu's correlation id, searched before any re-send.
    #[serde(rename = "UlkoinenTunniste")]
    pub external_id: String,
    /// `Liitteet`.
    #[serde(rename = "Liitteet")]
    pub attachments: Vec<NewAttachment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_the_simulators_names() {
        let body = NewFaultReportBody {
            title: "Hana vuotaa".into(),
            description: "Tippuu".into(),
            topic: Topic::CommonAreas,
            object_id: 100_002,
            location: None,
            entry_allowed: true,
            pets: Some("Kissa".into()),
            reporter_id: 200_002,
            reporter_phone: "040 123 4567".into(),
            external_id: "abc".into(),
            attachments: vec![NewAttachment {
                file_name: "kuva-1.jpg".into(),
                media_type: "image/jpeg".into(),
                content_base64: "AAAA".into(),
            }],
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["Aihe"], "YleisetTilat");
        assert_eq!(json["UlkoinenTunniste"], "abc");
        assert_eq!(json["Liitteet"][0]["Sisalto"], "AAAA");
        assert!(json.get("Sijainti").is_none());
        assert_eq!(Topic::parse("Ulkoalueet"), Some(Topic::Outdoors));
    }
}
