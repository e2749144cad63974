//! Answers in the caller's dialect: every row the API returns is serialized, then changed
//! as the account's [`Dialect`] says (enum codes, timestamp style, sparse rows, report
//! fields), then wrapped in the dialect's paging shape.

mod values;

pub use values::{format_date, format_timestamp};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::codes::{self, UNKNOWN_OBJECT_KIND, UNKNOWN_ROLE};
use crate::dialect::{CreatedId, Dialect, Paging, ReportFields, RowKind, Timestamps};
use crate::model::{
    Announcement, Connection, ConnectionView, ObjectKind, Party, PartyKind, RegistryObject, Role,
};
use crate::paging::PageRequest;
use crate::report::FaultReport;
use crate::world::World;

/// Renders rows of one account's world in that account's dialect.
pub(crate) struct Wire<'a> {
    dialect: &'a Dialect,
    seed: u64,
    world: &'a World,
}

fn value<T: Serialize>(row: &T) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

impl<'a> Wire<'a> {
    pub(crate) fn new(dialect: &'a Dialect, seed: u64, world: &'a World) -> Self {
        Self {
            dialect,
            seed,
            world,
        }
    }

    /// Enum codes and timestamp style, at every depth.
    fn convert(&self, v: &mut Value) {
        if self.dialect.numbers() {
            values::enums_to_numbers(v);
        }
        if self.dialect.timestamps != Timestamps::Offset {
            values::restamp(v, self.dialect.timestamps);
        }
    }

    fn thin(&self, v: &mut Value, kind: RowKind) {
        if let Value::Object(row) = v {
            values::thin(row, self.dialect, self.seed, kind);
        }
    }

    /// The `KohdeMetatyyppi` code the object goes out with: in the `numbers` dialect an
    /// apartment nobody lives in gets a code no reader knows.
    pub(crate) fn object_code(&self, o: &RegistryObject) -> i64 {
        if self.dialect.numbers()
            && o.kohde_metatyyppi == ObjectKind::Huoneisto
            && self.world.is_vacant(o.id)
        {
            return UNKNOWN_OBJECT_KIND;
        }
        codes::OBJECT_KINDS
            .number(o.kohde_metatyyppi.as_str())
            .unwrap_or(UNKNOWN_OBJECT_KIND)
    }

    /// The `Rooli` code the connection goes out with: in the `numbers` dialect a few owners
    /// get a code no reader knows.
    pub(crate) fn role_code(&self, c: &Connection) -> i64 {
        if c.rooli == Role::Omistaja && self.dialect.unknown_role(self.seed, c.id) {
            return UNKNOWN_ROLE;
        }
        codes::ROLES
            .number(c.rooli.as_str())
            .unwrap_or(UNKNOWN_ROLE)
    }

    /// An object.
    pub(crate) fn object(&self, o: &RegistryObject) -> Value {
        let mut v = value(o);
        self.convert(&mut v);
        if self.dialect.numbers() {
            v["KohdeMetatyyppi"] = Value::from(self.object_code(o));
        }
        self.thin(&mut v, RowKind::Object);
        v
    }

    /// A party, as `GET osapuolet/{id}` returns it.
    pub(crate) fn party(&self, p: &Party) -> Value {
        let mut v = value(p);
        self.convert(&mut v);
        self.thin(&mut v, RowKind::Party);
        v
    }

    /// A party in the help's `ApiOsapuoliResponseModel` (`osapuolitiedot/osapuolet/hae`):
    /// `Id`, `YritysId` (an integer: a company's own id), `Nimi`, `Turvakielto`,
    /// `Osapuolityyppi`, `Tunnistautuminen`, `Parametrit`; no first or last name.
    pub(crate) fn party_brief(&self, p: &Party) -> Value {
        let mut row = match value(&p.extra) {
            Value::Object(extra) => extra,
            _ => Map::new(),
        };
        let company_id = (p.osapuolityyppi == PartyKind::Yritys).then_some(p.id);
        row.insert("Id".into(), Value::from(p.id));
        row.insert("YritysId".into(), json!(company_id));
        row.insert("Nimi".into(), Value::from(p.nimi.clone()));
        row.insert("Turvakielto".into(), Value::from(p.turvakielto));
        row.insert("Osapuolityyppi".into(), value(&p.osapuolityyppi));
        row.insert("Tunnistautuminen".into(), value(&p.tunnistautuminen));
        row.insert("Parametrit".into(), Value::Array(Vec::new()));
        let mut v = Value::Object(row);
        self.convert(&mut v);
        self.thin(&mut v, RowKind::Party);
        v
    }

    /// A connection with its party embedded.
    pub(crate) fn connection(&self, c: &Connection, p: &Party) -> Value {
        let mut v = value(&ConnectionView::new(c, p));
        self.convert(&mut v);
        if self.dialect.numbers() {
            v["Rooli"] = Value::from(self.role_code(c));
        }
        if let Some(party) = v.get_mut("Osapuoli") {
            self.thin(party, RowKind::Party);
        }
        self.thin(&mut v, RowKind::Connection);
        v
    }

    /// An announcement.
    pub(crate) fn announcement(&self, a: &Announcement) -> Value {
        let mut v = value(a);
        self.convert(&mut v);
        self.thin(&mut v, RowKind::Announcement);
        v
    }

    /// A fault report.
    pub(crate) fn report(&self, r: &FaultReport) -> Value {
        let mut v = value(r);
        if let Value::Object(row) = &mut v {
            let description = row.get("Kuvaus").cloned().unwrap_or(Value::Null);
            row.insert("TyotehtavanKuvaus".into(), description);
            if self.dialect.report_fields == ReportFields::Vendor {
                row.remove("Kuvaus");
                row.insert("Sisaanpaasy".into(), Value::from(r.entry_choice()));
            }
            if !self.dialect.external_id {
                row.remove("UlkoinenTunniste");
            }
        }
        self.convert(&mut v);
        self.thin(&mut v, RowKind::Report);
        v
    }

    /// A page of rows in the dialect's paging shape.
    pub(crate) fn page(&self, page: &PageRequest, total: usize, items: Vec<Value>) -> Value {
        match self.dialect.paging {
            Paging::Nested => json!({
                "Items": items,
                "Metadata": {"Offset": page.offset, "Limit": page.limit, "Total": total},
            }),
            Paging::Flat => json!({
                "Offset": page.offset, "Limit": page.limit, "Total": total, "Items": items,
            }),
        }
    }

    /// The answer of a create route that answers the new id only.
    pub(crate) fn created(&self, id: i64) -> Value {
        match self.dialect.created_id {
            CreatedId::Object => json!({ "Id": id }),
            CreatedId::Bare => Value::from(id),
        }
    }
}
