//! Parties: residents, owners, property managers and maintenance companies.

use super::rng::Rng;
use super::{Gen, names, tags};
use crate::model::{Identification, Party, PartyKind};

/// A postal address.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub(crate) street: String,
    pub(crate) postcode: String,
    pub(crate) town: String,
}

/// A Finnish mobile number: `040 123 4567`.
pub(crate) fn mobile(rng: &mut Rng) -> String {
    format!(
        "{} {} {}",
        rng.word(names::MOBILE_PREFIXES),
        rng.digits(3),
        rng.digits(4)
    )
}

/// A Finnish business id (`Y-tunnus`) with a valid check digit: `1234567-1`.
pub(crate) fn business_id(rng: &mut Rng) -> String {
    const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    loop {
        let digits = rng.digits(7);
        let sum: u32 = digits
            .bytes()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        let check = match sum % 11 {
            0 => 0,
            1 => continue,
            r => 11 - r,
        };
        return format!("{digits}-{check}");
    }
}

/// A random first and last name.
pub(crate) fn name(rng: &mut Rng) -> (&'static str, &'static str) {
    let first = if rng.chance(0.5) {
        rng.word(names::FIRST_F)
    } else {
        rng.word(names::FIRST_M)
    };
    (first, rng.word(names::LAST))
}

impl Gen {
    /// A person.
    pub(crate) fn person(
        &mut self,
        rng: &mut Rng,
        (first, last): (&str, &str),
        address: &Address,
        turvakielto: bool,
    ) -> i64 {
        let id = self.world.parties.next_id();
        let email = rng.chance(0.6).then(|| {
            let n = if rng.chance(0.3) {
                rng.digits(2)
            } else {
                String::new()
            };
            format!(
                "{}.{}{n}@example.fi",
                names::ascii_lower(first),
                names::ascii_lower(last)
            )
        });
        let identification = match rng.below(10) {
            0..=4 => Some(("Pankkitunnus", true)),
            5 => Some(("Mobiilivarmenne", false)),
            _ => None,
        }
        .map(|(kind, ok)| Identification {
            tyyppi: kind.to_owned(),
            tunnistettu: ok,
            extra: self.extra(tags::IDENTIFICATION, id),
        });
        let party = Party {
            id,
            yritys_id: None,
            osapuolityyppi: PartyKind::Henkilo,
            nimi: format!("{last} {first}"),
            etunimi: Some(first.to_owned()),
            sukunimi: Some(last.to_owned()),
            katuosoite: address.street.clone(),
            postinumero: address.postcode.clone(),
            postitoimipaikka: address.town.clone(),
            puhelin: None,
            matkapuhelin: rng.chance(0.85).then(|| mobile(rng)),
            sahkoposti: email,
            tunnus: None,
            turvakielto,
            tunnistautuminen: identification,
            arkistoitu: None,
            extra: self.extra(tags::PARTY, id),
        };
        self.world.parties.insert_with(|_| party)
    }

    /// A company with a switchboard number.
    pub(crate) fn company(&mut self, rng: &mut Rng, name: &str, address: &Address) -> i64 {
        let id = self.world.parties.next_id();
        let slug = names::ascii_lower(name.trim_end_matches(" Oy").trim_end_matches(" Ky"));
        let party = Party {
            id,
            yritys_id: Some(business_id(rng)),
            osapuolityyppi: PartyKind::Yritys,
            nimi: name.to_owned(),
            etunimi: None,
            sukunimi: None,
            katuosoite: address.street.clone(),
            postinumero: address.postcode.clone(),
            postitoimipaikka: address.town.clone(),
            puhelin: Some(format!("020 555 {}", rng.digits(4))),
            matkapuhelin: None,
            sahkoposti: Some(format!("asiakaspalvelu@{slug}.example.fi")),
            tunnus: Some(format!("Y{}", rng.digits(5))),
            turvakielto: false,
            tunnistautuminen: None,
            arkistoitu: None,
            extra: self.extra(tags::PARTY, id),
        };
        self.world.parties.insert_with(|_| party)
    }

    /// Maintenance company number `i` of the account.
    pub(crate) fn maintenance_company(&mut self, rng: &mut Rng, i: usize) -> i64 {
        let name = names::MAINTENANCE.get(i).copied().unwrap_or("Huolto Oy");
        let address = office(rng);
        self.company(rng, name, &address)
    }

    /// A property manager: a person with an office phone, a mobile and a work email.
    pub(crate) fn manager(&mut self, rng: &mut Rng) -> i64 {
        let (first, last) = name(rng);
        let address = office(rng);
        let id = self.person(rng, (first, last), &address, false);
        if let Some(p) = self.world.parties.get_mut(id) {
            p.puhelin = Some(format!("010 {} {}", rng.digits(3), rng.digits(4)));
            p.matkapuhelin = Some(mobile(rng));
            p.sahkoposti = Some(format!(
                "{}.{}@isannointi.example.fi",
                names::ascii_lower(first),
                names::ascii_lower(last)
            ));
        }
        id
    }

    /// An owner who does not live in the apartment: a person or a letting company.
    pub(crate) fn landlord(&mut self, rng: &mut Rng) -> i64 {
        let address = office(rng);
        if rng.chance(0.3) {
            let name = rng.word(names::LANDLORDS);
            self.company(rng, name, &address)
        } else {
            let who = name(rng);
            let home = Address {
                street: format!("{} {}", rng.word(names::STREETS), rng.range(1, 40)),
                ..address
            };
            self.person(rng, who, &home, false)
        }
    }
}

fn office(rng: &mut Rng) -> Address {
    let (street, postcode, town) =
        rng.pick(names::OFFICES)
            .copied()
            .unwrap_or(("Mannerheimintie 12", "00100", "Helsinki"));
    Address {
        street: street.to_owned(),
        postcode: postcode.to_owned(),
        town: town.to_owned(),
    }
}
