//! Fault reports (`ilmoitukset`): the wire type, its parts and the lifecycle rules.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::Extra;
use crate::time::Timestamp;

/// The state of a fault report (`Tila`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportState {
    /// Open: filed, nobody has taken it yet.
    Avoin,
    /// Received by the assignee.
    Vastaanotettu,
    /// Waiting (for parts, for access, ...).
    Odottaa,
    /// Work done.
    Tehty,
    /// Completed (after invoicing).
    Valmis,
}

impl ReportState {
    /// All states, in lifecycle order.
    pub const ALL: [Self; 5] = [
        Self::Avoin,
        Self::Vastaanotettu,
        Self::Odottaa,
        Self::Tehty,
        Self::Valmis,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Avoin => "Avoin",
            Self::Vastaanotettu => "Vastaanotettu",
            Self::Odottaa => "Odottaa",
            Self::Tehty => "Tehty",
            Self::Valmis => "Valmis",
        }
    }

    /// Whether the work is finished (done or completed).
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Tehty | Self::Valmis)
    }
}

/// A lifecycle transition, one per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `vastaanota`: open or waiting → received.
    Receive,
    /// `odotukseen`: received → waiting.
    Wait,
    /// `kuittaatehdyksi`: received or waiting → done.
    Done,
    /// `kuittaavalmiiksi`: done → completed.
    Complete,
}

impl Transition {
    /// The state the transition leads to.
    pub fn target(self) -> ReportState {
        match self {
            Self::Receive => ReportState::Vastaanotettu,
            Self::Wait => ReportState::Odottaa,
            Self::Done => ReportState::Tehty,
            Self::Complete => ReportState::Valmis,
        }
    }

    /// Whether the transition may start from `from`.
    pub fn allowed_from(self, from: ReportState) -> bool {
        use ReportState::*;
        match self {
            Self::Receive => matches!(from, Avoin | Odottaa),
            Self::Wait => from == Vastaanotettu,
            Self::Done => matches!(from, Vastaanotettu | Odottaa),
            Self::Complete => from == Tehty,
        }
    }
}

/// What a fault report is about (`Aihe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    /// A fault in an apartment.
    Huoneisto,
    /// A fault in the common areas.
    YleisetTilat,
    /// A fault outdoors.
    Ulkoalueet,
}

impl Topic {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Huoneisto => "Huoneisto",
            Self::YleisetTilat => "YleisetTilat",
            Self::Ulkoalueet => "Ulkoalueet",
        }
    }

    /// Parse a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Huoneisto, Self::YleisetTilat, Self::Ulkoalueet]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// One row of a report's state history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateChange {
    /// The state entered.
    pub tila: ReportState,
    /// When.
    pub aika: Timestamp,
    /// Why (e.g. the reason for waiting).
    pub selite: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One action done on a report (`Toimenpiteet`): date, resource, summary for the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkAction {
    /// Date of the work.
    pub pvm: NaiveDate,
    /// Who did it.
    pub resurssi: String,
    /// Summary for the customer.
    pub yhteenveto: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An attachment's metadata (`Liitteet`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attachment {
    /// Attachment id.
    pub id: i64,
    /// File name.
    pub tiedostonimi: String,
    /// MIME type.
    pub tyyppi: String,
    /// Size in bytes.
    pub koko: u64,
    /// What the file shows (the help's attachment model has a `Description`).
    pub kuvaus: Option<String>,
    /// The content as received (empty for generated attachments). Never served: it is
    /// there for tests, through [`crate::Simulator::snapshot`].
    #[serde(skip)]
    pub content: Vec<u8>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A fault report (`ilmoitus`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FaultReport {
    /// Report id.
    pub id: i64,
    /// Human-readable number, `2026-000031`.
    pub ilmoitusnumero: String,
    /// Title.
    pub otsikko: String,
    /// Description.
    pub kuvaus: Option<String>,
    /// Apartment, common areas or outdoors.
    pub aihe: Topic,
    /// The object the report is about.
    pub kohde_id: i64,
    /// The object's cost centre.
    pub kustannuspaikka_id: i64,
    /// Current state.
    pub tila: ReportState,
    /// Every state entered, oldest first.
    pub tilahistoria: Vec<StateChange>,
    /// Where exactly (room, space).
    pub sijainti: Option<String>,
    /// The worker may enter with a master key.
    pub sisaanpaasy: bool,
    /// Pets in the apartment.
    pub kotielaimet: Option<String>,
    /// The reporting party, if known.
    pub ilmoittaja_id: Option<i64>,
    /// Reporter's name.
    pub ilmoittajan_nimi: Option<String>,
    /// Reporter's phone.
    pub ilmoittajan_puhelin: Option<String>,
    /// Reporter's email.
    pub ilmoittajan_sahkoposti: Option<String>,
    /// Extra information.
    pub lisatiedot: Option<String>,
    /// The assignee (maintenance company party).
    pub tyonsuorittaja_id: Option<i64>,
    /// The report this one follows up, if any.
    pub yla_ilmoitus_id: Option<i64>,
    /// A follow-up has been created from this report.
    pub kasitelty: bool,
    /// The caller's correlation id.
    pub ulkoinen_tunniste: Option<String>,
    /// Created.
    pub luotu: Timestamp,
    /// Last modified.
    pub muokattu: Timestamp,
    /// Actions done.
    pub toimenpiteet: Vec<WorkAction>,
    /// Attachments.
    pub liitteet: Vec<Attachment>,
    /// The fields of the help's create model (`ilmoitukset/lisaa`).
    #[serde(flatten)]
    pub details: ReportDetails,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The fields a report gets from the help's create model (`ApiIlmoitusRequestModel`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportDetails {
    /// The space the report concerns (an apartment, a sauna): its object id.
    pub tila_id: Option<i64>,
    /// The room.
    pub huone_id: Option<i64>,
    /// Urgency, a pick-list value.
    pub kiireellisyys: Option<String>,
    /// Fault class, a pick-list value.
    pub vikaluokka: Option<String>,
    /// Who ordered the work.
    pub tilaaja: Option<ReportContact>,
    /// Who pays.
    pub maksaja: Option<ReportContact>,
    /// Entry permission as the pick-list value the caller sent (`Sisaanpaasy` of
    /// `ilmoitukset/lisaa`); `None` = derived from the boolean.
    #[serde(skip)]
    pub sisaanpaasy_valinta: Option<String>,
}

/// A party named in a report (`Tilaaja`, `Maksaja`; the help's `ApiIlmoitusOsapuoliRequest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReportContact {
    /// The party, if it is one of the registry's.
    pub osapuoli_id: Option<i64>,
    /// Name.
    pub nimi: Option<String>,
    /// Phone.
    pub puhelin: Option<String>,
    /// Email.
    pub sahkoposti: Option<String>,
}

/// The entry-permission pick-list value that means "the worker may enter with a master
/// key"; any other value means no.
pub const ENTRY_ALLOWED: &str = "Yleisavaimella";
/// The pick-list value the simulator writes for "no master-key entry".
pub const ENTRY_BY_APPOINTMENT: &str = "Sovittava erikseen";

impl FaultReport {
    /// The entry permission as a pick-list value.
    pub fn entry_choice(&self) -> &str {
        match &self.details.sisaanpaasy_valinta {
            Some(v) => v,
            None if self.sisaanpaasy => ENTRY_ALLOWED,
            None => ENTRY_BY_APPOINTMENT,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_lifecycle() {
        use ReportState::*;
        let legal: Vec<(Transition, ReportState)> = [
            Transition::Receive,
            Transition::Wait,
            Transition::Done,
            Transition::Complete,
        ]
        .into_iter()
        .flat_map(|t| ReportState::ALL.into_iter().map(move |s| (t, s)))
        .filter(|(t, s)| t.allowed_from(*s))
        .collect();
        assert_eq!(
            legal,
            vec![
                (Transition::Receive, Avoin),
                (Transition::Receive, Odottaa),
                (Transition::Wait, Vastaanotettu),
                (Transition::Done, Vastaanotettu),
                (Transition::Done, Odottaa),
                (Transition::Complete, Tehty),
            ]
        );
    }
}
