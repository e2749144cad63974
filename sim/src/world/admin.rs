//! Changes made through the simulator's admin routes (`/_sim/accounts/{account}/...`): the
//! things that in real life happen in Tampuuri's own UI, each with its webhook actions.

use super::bodies::{AnnouncementPatch, ConnectionPatch, NewAnnouncement, NewResident, PartyPatch};
use super::{Action, Change, World, WorldError};
use crate::data::tags;
use crate::model::{Announcement, Connection, Extra, ObjectKind, Party, PartyKind, Role};
use crate::time::Timestamp;

fn required(value: Option<String>, field: &str) -> Result<String, WorldError> {
    value
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WorldError::Invalid(format!("{field} puuttuu")))
}

fn not_found(what: &str, id: i64) -> WorldError {
    WorldError::NotFound(format!("{what} {id} ei löydy"))
}

fn connection_change(action: Action, c: &Connection) -> Change {
    Change {
        action,
        reference_id: c.kohde_id,
        secondary_id: Some(c.osapuoli_id),
        data: Some(c.id),
    }
}

fn news_change(action: Action, a: &Announcement) -> Change {
    Change {
        data: Some(a.kohde_id),
        ..Change::new(action, a.id)
    }
}

impl World {
    /// Publish an announcement now.
    pub fn add_announcement(
        &mut self,
        body: NewAnnouncement,
        now: Timestamp,
    ) -> Result<(Announcement, Vec<Change>), WorldError> {
        let kohde_id = body
            .kohde_id
            .ok_or_else(|| WorldError::Invalid("KohdeId puuttuu".into()))?;
        if self.objects.get(kohde_id).is_none() {
            return Err(WorldError::Invalid(format!("Kohdetta {kohde_id} ei löydy")));
        }
        let otsikko = required(body.otsikko, "Otsikko")?;
        let sisalto = body.sisalto.unwrap_or_default();
        let id = self.announcements.insert_with(|id| Announcement {
            id,
            kohde_id,
            otsikko,
            sisalto,
            julkaistu: now,
            voimassa_alkaen: body.voimassa_alkaen.unwrap_or(now),
            voimassa_asti: body.voimassa_asti,
            extra: Extra::stamped(tags::ANNOUNCEMENT, id, now),
        });
        let a = self
            .announcements
            .get(id)
            .cloned()
            .ok_or_else(|| not_found("Uutista", id))?;
        Ok((a.clone(), vec![news_change(Action::UutinenUusi, &a)]))
    }

    /// Change an announcement.
    pub fn patch_announcement(
        &mut self,
        id: i64,
        patch: AnnouncementPatch,
        now: Timestamp,
    ) -> Result<(Announcement, Vec<Change>), WorldError> {
        let a = self
            .announcements
            .get_mut(id)
            .ok_or_else(|| not_found("Uutista", id))?;
        if let Some(t) = patch.otsikko {
            a.otsikko = required(Some(t), "Otsikko")?;
        }
        if let Some(s) = patch.sisalto {
            a.sisalto = s;
        }
        if let Some(end) = patch.voimassa_asti {
            a.voimassa_asti = end;
        }
        a.extra.muutettu = now;
        let a = a.clone();
        Ok((a.clone(), vec![news_change(Action::UutinenMuokkaa, &a)]))
    }

    /// Delete an announcement.
    pub fn delete_announcement(&mut self, id: i64) -> Result<Vec<Change>, WorldError> {
        let a = self
            .announcements
            .remove(id)
            .ok_or_else(|| not_found("Uutista", id))?;
        Ok(vec![news_change(Action::UutinenPoista, &a)])
    }

    /// Change a party's name, non-disclosure, phone or archival.
    pub fn patch_party(
        &mut self,
        id: i64,
        patch: PartyPatch,
        now: Timestamp,
    ) -> Result<(Party, Vec<Change>), WorldError> {
        let p = self
            .parties
            .get_mut(id)
            .ok_or_else(|| not_found("Osapuolta", id))?;
        if let Some(s) = patch.sukunimi {
            p.sukunimi = Some(required(Some(s), "Sukunimi")?);
        }
        if let Some(s) = patch.etunimi {
            p.etunimi = Some(required(Some(s), "Etunimi")?);
        }
        if p.osapuolityyppi == PartyKind::Henkilo {
            let last = p.sukunimi.clone().unwrap_or_default();
            let first = p.etunimi.clone().unwrap_or_default();
            p.nimi = format!("{last} {first}").trim().to_owned();
        }
        if let Some(t) = patch.turvakielto {
            p.turvakielto = t;
        }
        if let Some(m) = patch.matkapuhelin {
            p.matkapuhelin = m;
        }
        if let Some(a) = patch.arkistoitu {
            p.arkistoitu = a;
        }
        p.extra.muutettu = now;
        let p = p.clone();
        Ok((p, vec![Change::new(Action::OsapuoliTietoMuokkaa, id)]))
    }

    /// Change a connection's dates or display opt-out.
    pub fn patch_connection(
        &mut self,
        id: i64,
        patch: ConnectionPatch,
        now: Timestamp,
    ) -> Result<(Connection, Vec<Change>), WorldError> {
        let c = self
            .connections
            .get_mut(id)
            .ok_or_else(|| not_found("Yhteyttä", id))?;
        if let Some(a) = patch.alkaa {
            c.alkaa = a;
        }
        if let Some(p) = patch.paattyy {
            c.paattyy = p;
        }
        if let Some(h) = patch.piilota_porrasnaytolta {
            c.piilota_porrasnaytolta = h;
        }
        c.extra.muutettu = now;
        let c = c.clone();
        Ok((
            c.clone(),
            vec![connection_change(Action::KohdeOsapuoliMuokkaa, &c)],
        ))
    }

    /// Delete a connection (the party stays).
    pub fn delete_connection(&mut self, id: i64) -> Result<Vec<Change>, WorldError> {
        let c = self
            .remove_connection(id)
            .ok_or_else(|| not_found("Yhteyttä", id))?;
        Ok(vec![connection_change(Action::KohdeOsapuoliPoista, &c)])
    }

    /// Add a new person and connect them to an object (a resident by default).
    pub fn add_resident(
        &mut self,
        body: NewResident,
        now: Timestamp,
    ) -> Result<(Connection, Party, Vec<Change>), WorldError> {
        let kohde_id = body
            .kohde_id
            .ok_or_else(|| WorldError::Invalid("KohdeId puuttuu".into()))?;
        let object = self
            .objects
            .get(kohde_id)
            .ok_or_else(|| WorldError::Invalid(format!("Kohdetta {kohde_id} ei löydy")))?
            .clone();
        let alkaa = body
            .alkaa
            .ok_or_else(|| WorldError::Invalid("Alkaa puuttuu".into()))?;
        if let Some(party_id) = body.osapuoli_id {
            let party = self
                .parties
                .get(party_id)
                .cloned()
                .ok_or_else(|| WorldError::Invalid(format!("Osapuolta {party_id} ei löydy")))?;
            let conn = self.connect(kohde_id, party_id, &body, alkaa, now)?;
            let changes = vec![connection_change(Action::KohdeOsapuoliUusi, &conn)];
            return Ok((conn, party, changes));
        }
        let etunimi = required(body.etunimi.clone(), "Etunimi")?;
        let sukunimi = required(body.sukunimi.clone(), "Sukunimi")?;
        let katuosoite = match object.kohde_metatyyppi {
            ObjectKind::Huoneisto => format!("{} {}", object.katuosoite, object.tunnus),
            _ => object.katuosoite.clone(),
        };
        let party_id = self.parties.insert_with(|id| Party {
            id,
            yritys_id: None,
            osapuolityyppi: PartyKind::Henkilo,
            nimi: format!("{sukunimi} {etunimi}"),
            etunimi: Some(etunimi),
            sukunimi: Some(sukunimi),
            katuosoite,
            postinumero: object.postinumero.clone(),
            postitoimipaikka: object.postitoimipaikka.clone(),
            puhelin: None,
            matkapuhelin: body.matkapuhelin.clone(),
            sahkoposti: body.sahkoposti.clone(),
            tunnus: None,
            turvakielto: body.turvakielto.unwrap_or(false),
            tunnistautuminen: None,
            arkistoitu: None,
            extra: Extra::stamped(tags::PARTY, id, now),
        });
        let conn = self.connect(kohde_id, party_id, &body, alkaa, now)?;
        let party = self
            .parties
            .get(party_id)
            .cloned()
            .ok_or_else(|| not_found("Osapuolta", party_id))?;
        let changes = vec![
            Change::new(Action::OsapuoliUusi, party_id),
            connection_change(Action::KohdeOsapuoliUusi, &conn),
        ];
        Ok((conn, party, changes))
    }

    /// Connects `party_id` to `kohde_id` as `body` says.
    fn connect(
        &mut self,
        kohde_id: i64,
        party_id: i64,
        body: &NewResident,
        alkaa: chrono::NaiveDate,
        now: Timestamp,
    ) -> Result<Connection, WorldError> {
        let conn_id = self.insert_connection(|id| Connection {
            id,
            kohde_id,
            osapuoli_id: party_id,
            rooli: body.rooli.unwrap_or(Role::Asukas),
            alkaa,
            paattyy: body.paattyy,
            piilota_porrasnaytolta: body.piilota_porrasnaytolta.unwrap_or(false),
            extra: Extra::stamped(tags::CONNECTION, id, now),
        });
        self.connections
            .get(conn_id)
            .cloned()
            .ok_or_else(|| not_found("Yhteyttä", conn_id))
    }
}
