//! The resident's own copy of each photo of a report, kept for [`KEEP`] after filing so the
//! resident sees the photos in the report afterwards, although the outbox deletes its copy
//! once Tampuuri has the report.
//!
//! The copy is the photo as filed: already resized in the browser by the portal (at most
//! ~2 megapixels, JPEG) and stripped of its metadata by [`super::photos`]. It is stored in
//! the transaction that stores the report ([`super::db::insert`]) and served only to the
//! report's owner (`GET /api/v1/fault-reports/{id}/photos/{n}`, 404 for anyone else, as the
//! report itself). Copies past [`KEEP`] are removed whenever a new one is stored.

use std::time::Duration;

use crate::store::sql::{Conn, DbError};

use super::Owner;
use super::photos::Photo;

/// How long a resident's copy of a photo is kept.
pub const KEEP: Duration = Duration::from_secs(180 * 86_400);

fn keep_secs() -> i64 {
    i64::try_from(KEEP.as_secs()).unwrap_or(i64::MAX)
}

/// Stores the resident's copies of a report's photos (inside the filing transaction) and
/// drops copies whose time is up. `now` is in Unix seconds.
pub fn keep(tx: &mut Conn<'_>, report_id: &str, photos: &[Photo], now: i64) -> Result<(), DbError> {
    tx.execute(
        "DELETE FROM resident_photos WHERE kept_until <= $1",
        crate::args![now],
    )?;
    for (i, photo) in photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO resident_photos (report_id, position, media_type, data, kept_until)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (report_id, position) DO UPDATE SET media_type = excluded.media_type,
                 data = excluded.data, kept_until = excluded.kept_until",
            crate::args![
                report_id,
                i,
                photo.media_type,
                photo.data,
                now + keep_secs()
            ],
        )?;
    }
    Ok(())
}

/// A kept photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPhoto {
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub media_type: String,
    /// The image.
    pub data: Vec<u8>,
}

/// Photo `position` (0-based) of `owner`'s report `report_id`, while it is kept.
pub fn get(
    conn: &mut Conn<'_>,
    owner: &Owner,
    report_id: &str,
    position: u32,
    now: i64,
) -> Result<Option<KeptPhoto>, DbError> {
    conn.query_opt(
        "SELECT p.media_type, p.data FROM resident_photos p
         JOIN fault_reports r ON r.id = p.report_id
         WHERE p.report_id = $1 AND p.position = $2 AND p.kept_until > $3
           AND r.account = $4 AND r.party_id = $5 AND r.apartment_id = $6",
        crate::args![
            report_id,
            position,
            now,
            owner.account,
            owner.party,
            owner.apartment
        ],
    )?
    .map(|r| {
        Ok(KeptPhoto {
            media_type: r.get(0)?,
            data: r.get(1)?,
        })
    })
    .transpose()
}

impl super::FaultReports {
    /// Photo `number` (1-based) of `owner`'s report `id`, while its copy is kept.
    pub async fn photo(
        &self,
        owner: &Owner,
        id: &str,
        number: u32,
    ) -> Result<Option<KeptPhoto>, crate::store::StoreError> {
        let Some(position) = number.checked_sub(1) else {
            return Ok(None);
        };
        let (owner, id) = (owner.clone(), id.to_owned());
        let now = chrono::Utc::now().timestamp();
        self.inner
            .store
            .call(move |c| get(c, &owner, &id, position, now))
            .await
    }
}
