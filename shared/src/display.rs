//! The stairwell display feed: shaped for a screen in a stairwell, not a copy of
//! Tampuuri's objects. Names appear only where the gateway has decided they may.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::property::Address;

/// Everything a stairwell display shows (`GET /api/v1/display/feed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisplayFeed {
    /// The building.
    pub building: FeedBuilding,
    /// The staircases shown: all of the building's, or the one the display is bound to.
    pub staircases: Vec<FeedStaircase>,
    /// Announcements valid now, newest first.
    pub announcements: Vec<FeedAnnouncement>,
    /// Who to call.
    pub contacts: FeedContacts,
    /// Open fault reports in common areas and outdoors: place, category and state.
    pub ongoing_work: Vec<FeedWork>,
    /// When this content was assembled. Unchanged content keeps its time (and its ETag).
    pub generated_at: DateTime<Utc>,
    /// When the oldest piece of Tampuuri data in it was read. Unchanged content keeps its
    /// time (and its ETag).
    pub data_as_of: DateTime<Utc>,
    /// True when Tampuuri could not be reached and older data stands in (stale-if-error);
    /// `data_as_of` tells how old.
    pub stale: bool,
}

/// The building a display stands in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedBuilding {
    /// Tampuuri object id.
    pub id: u64,
    /// The housing company, e.g. `As Oy Koivukuja 3`.
    pub property_name: String,
    /// The building's own name.
    pub name: String,
    /// Street address.
    pub address: Address,
}

/// A staircase with its apartments by floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedStaircase {
    /// Tampuuri object id.
    pub id: u64,
    /// Letter or name, e.g. `A`.
    pub name: String,
    /// Floors from the lowest up.
    pub floors: Vec<FeedFloor>,
}

/// One floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedFloor {
    /// Floor number (1 = ground floor in Finnish usage).
    pub floor: i32,
    /// Apartments on it, by number.
    pub apartments: Vec<FeedApartment>,
}

/// One apartment's line on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedApartment {
    /// Apartment number as shown, e.g. `A 12`. Always present.
    pub number: String,
    /// Surnames of current residents who may be shown (never anyone under turvakielto or
    /// who asked to be left off). Empty means the name slot stays empty.
    pub names: Vec<String>,
}

/// An announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedAnnouncement {
    /// Tampuuri id.
    pub id: u64,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Shown until, if it ends.
    pub valid_until: Option<DateTime<Utc>>,
}

/// Contacts shown on the display.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedContacts {
    /// The maintenance company (door opening, faults): always shown when Tampuuri has it.
    pub maintenance: Option<FeedContact>,
    /// The property manager (isännöitsijä).
    pub manager: Option<FeedContact>,
    /// The chair of the board, when on record.
    pub board_chair: Option<FeedContact>,
}

/// A contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedContact {
    /// Person or company name.
    pub name: String,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
}

/// Work going on in common areas or outdoors. Never text a resident wrote: a display shows
/// the place, the category and the state; a title only of a job the property manager or the
/// maintenance company entered, and only where the operator has turned that on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedWork {
    /// Where the work is.
    pub place: WorkPlace,
    /// The job's category from Tampuuri's pick list (`Vikaluokka`), when set.
    pub category: Option<String>,
    /// Its state.
    pub state: WorkState,
    /// The title of a job staff entered, when the operator shows those; else absent.
    pub title: Option<String>,
}

/// Where ongoing work is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkPlace {
    /// Stairwells, laundry, sauna, storage: the common areas.
    CommonAreas,
    /// The yard and outdoor areas.
    Outdoors,
    /// The building at large (Tampuuri did not say).
    Building,
}

/// State of ongoing work, as a display shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkState {
    /// Reported, not yet taken.
    Open,
    /// Taken by the maintenance company.
    Received,
    /// Waiting (parts, access, ...).
    Waiting,
}

/// A Server-Sent Event telling a display its feed changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedChanged {
    /// The new ETag of `GET /api/v1/display/feed` (with quotes, as in the header).
    pub etag: String,
}
