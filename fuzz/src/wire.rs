//! `tampuuri_decode` inputs: one byte naming the model the body is read as, then the body as
//! Tampuuri sent it. The target reads the body both ways the client does: as one answer of
//! that model, and as a page whose rows are decoded one by one.

use rappu_gateway::upstream::tampuuri::routes::{self, Route};

/// A model of the Tampuuri client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// `model::Object`.
    Object,
    /// `model::Party`.
    Party,
    /// `model::Connection`.
    Connection,
    /// `model::Announcement`.
    Announcement,
    /// `model::FaultReport`.
    FaultReport,
    /// `model::PartySummary`.
    PartySummary,
    /// `model::CreatedId`.
    CreatedId,
}

impl Model {
    /// Every model, in the order of their selector bytes.
    pub const ALL: [Model; 7] = [
        Model::Object,
        Model::Party,
        Model::Connection,
        Model::Announcement,
        Model::FaultReport,
        Model::PartySummary,
        Model::CreatedId,
    ];

    /// The model a selector byte names (every byte names one).
    pub fn from_byte(byte: u8) -> Self {
        Self::ALL[usize::from(byte) % Self::ALL.len()]
    }

    /// The selector byte of this model.
    pub fn byte(self) -> u8 {
        Self::ALL
            .iter()
            .position(|m| *m == self)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(0)
    }

    /// The route the client reads this model from (its label names decoding errors).
    pub fn route(self) -> Route {
        match self {
            Model::Object => routes::OBJECT,
            Model::Party => routes::PARTY,
            Model::Connection => routes::CONNECTIONS,
            Model::Announcement => routes::ANNOUNCEMENTS,
            Model::FaultReport => routes::FAULT_REPORTS,
            Model::PartySummary => routes::PARTIES,
            Model::CreatedId => routes::FAULT_REPORT_CREATE,
        }
    }

    /// A short name, for seed file names.
    pub fn name(self) -> &'static str {
        match self {
            Model::Object => "object",
            Model::Party => "party",
            Model::Connection => "connection",
            Model::Announcement => "announcement",
            Model::FaultReport => "fault_report",
            Model::PartySummary => "party_summary",
            Model::CreatedId => "created_id",
        }
    }
}

/// A `tampuuri_decode` input: the selector byte, then the body.
pub fn input(model: Model, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(body.len() + 1);
    bytes.push(model.byte());
    bytes.extend_from_slice(body);
    bytes
}

/// The model and body of an input (`None` for the empty input).
pub fn split(data: &[u8]) -> Option<(Model, &[u8])> {
    let (first, body) = data.split_first()?;
    Some((Model::from_byte(*first), body))
}
