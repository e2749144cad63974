//! Word lists for realistic Finnish data: names, places, companies and the texts of
//! announcements and fault reports.

/// Women's first names.
pub const FIRST_F: &[&str] = &[
    "Aino", "Helmi", "Eevi", "Sofia", "Aada", "Ella", "Emma", "Venla", "Lilja", "Kaisa", "Maria",
    "Anna", "Liisa", "Tuula", "Päivi", "Sari", "Minna", "Johanna", "Laura", "Riikka", "Hanna",
    "Kirsi", "Marjatta", "Elina", "Satu", "Pirjo", "Leena", "Noora", "Iida", "Siiri",
];

/// Men's first names.
pub const FIRST_M: &[&str] = &[
    "Eino", "Väinö", "Onni", "Leo", "Elias", "Oliver", "Juhani", "Matti", "Mikko", "Jari", "Timo",
    "Antti", "Pekka", "Kari", "Jukka", "Markku", "Ville", "Tuomas", "Janne", "Heikki", "Lauri",
    "Eetu", "Aleksi", "Otto", "Toivo", "Veikko", "Ilmari", "Olli", "Sami", "Niko",
];

/// Last names (the most common Finnish ones first).
pub const LAST: &[&str] = &[
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lehtinen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Heikkilä",
    "Kinnunen",
    "Salonen",
    "Turunen",
    "Salo",
    "Laitinen",
    "Tuominen",
    "Rantanen",
    "Karjalainen",
    "Jokinen",
    "Mattila",
    "Savolainen",
    "Lahtinen",
    "Ahonen",
    "Pesonen",
    "Hiltunen",
    "Hakala",
    "Leinonen",
    "Aaltonen",
    "Kallio",
    "Räsänen",
    "Laaksonen",
    "Ojala",
    "Väisänen",
];

/// Places: postcode, post town, and a district in the genitive for company names.
pub const PLACES: &[(&str, &str, &str)] = &[
    ("00940", "Helsinki", "Kontulan"),
    ("00530", "Helsinki", "Kallion"),
    ("00250", "Helsinki", "Töölön"),
    ("00200", "Helsinki", "Lauttasaaren"),
    ("00810", "Helsinki", "Herttoniemen"),
    ("00700", "Helsinki", "Malmin"),
    ("02100", "Espoo", "Tapiolan"),
    ("02230", "Espoo", "Matinkylän"),
    ("02600", "Espoo", "Leppävaaran"),
    ("01600", "Vantaa", "Myyrmäen"),
    ("01300", "Vantaa", "Tikkurilan"),
    ("33100", "Tampere", "Tammelan"),
    ("33500", "Tampere", "Kalevan"),
    ("33720", "Tampere", "Hervannan"),
    ("20100", "Turku", "Martin"),
    ("20740", "Turku", "Runosmäen"),
    ("90100", "Oulu", "Tuiran"),
    ("40100", "Jyväskylä", "Kortepohjan"),
    ("15140", "Lahti", "Launeen"),
    ("70100", "Kuopio", "Puijonlaakson"),
    ("28100", "Pori", "Väinölän"),
    ("13100", "Hämeenlinna", "Hätilän"),
];

/// Street names.
pub const STREETS: &[&str] = &[
    "Koivukuja",
    "Mäntytie",
    "Kuusikuja",
    "Pihlajatie",
    "Vaahterakuja",
    "Rantakatu",
    "Puistokatu",
    "Kirkkokatu",
    "Asemakatu",
    "Myllytie",
    "Kalliotie",
    "Harjutie",
    "Niittykuja",
    "Lehtotie",
    "Sammonkatu",
    "Hämeenkatu",
    "Satakunnankatu",
    "Kauppakatu",
    "Sibeliuksenkatu",
    "Runebergintie",
    "Väinämöisentie",
    "Ilmarisentie",
    "Kullervonkatu",
    "Sepänkatu",
    "Koulukatu",
    "Torikatu",
    "Tehtaankatu",
    "Linnankatu",
    "Järvikatu",
    "Haapatie",
];

/// Second words of housing-company nicknames (`Asunto Oy Tammelan Helmi`).
pub const NICKNAMES: &[&str] = &[
    "Helmi", "Kartano", "Linna", "Tähti", "Ruusu", "Satama", "Puisto", "Kaari", "Kruunu", "Lehmus",
    "Kulma", "Aalto", "Harju", "Koti", "Piha",
];

/// Maintenance companies.
pub const MAINTENANCE: &[&str] = &[
    "Huolto-Virtanen Oy",
    "Kiinteistöhuolto Laine Oy",
    "Talohuolto Koskinen Oy",
    "HuoltoPro Oy",
    "Kiinteistöpalvelu Aalto Oy",
    "Pohjolan Kiinteistöhuolto Oy",
    "Rapputiimi Oy",
    "Lähihuolto Mäkinen Oy",
    "Kotikulma Huolto Oy",
    "Taloapu Nieminen Oy",
];

/// Companies that own apartments to let them.
pub const LANDLORDS: &[&str] = &[
    "Vuokrakodit Oy",
    "Sijoitusasunnot Suomi Oy",
    "Kotivuokra Oy",
    "Asuntosijoitus Lahtinen Ky",
];

/// Property management offices: street address, postcode, town.
pub const OFFICES: &[(&str, &str, &str)] = &[
    ("Mannerheimintie 12 B", "00100", "Helsinki"),
    ("Hämeenkatu 20 A", "33200", "Tampere"),
    ("Eerikinkatu 8", "20100", "Turku"),
    ("Tapionaukio 4", "02100", "Espoo"),
];

/// Announcements that are in force for a while: title and text.
pub const NEWS: &[(&str, &str)] = &[
    (
        "Vesikatko torstaina",
        "Vesi on poikki torstaina klo 9–12 putkitöiden vuoksi. Pahoittelemme häiriötä.",
    ),
    (
        "Saunavuorojen muutos",
        "Saunavuorot muuttuvat ensi kuun alusta. Uudet vuorot ovat ilmoitustaululla.",
    ),
    (
        "Pihatalkoot lauantaina",
        "Tervetuloa pihatalkoisiin lauantaina klo 10. Talkoiden jälkeen kahvia ja makkaraa.",
    ),
    (
        "Porraskäytävien siivous",
        "Porraskäytävät pestään tiistaina. Ethän jätä tavaroita käytäville.",
    ),
    (
        "Ilmanvaihdon huolto",
        "Ilmanvaihdon suodattimet vaihdetaan. Huoltomies käy huoneistoissa yleisavaimella.",
    ),
    (
        "Yhtiökokous",
        "Varsinainen yhtiökokous pidetään kerhohuoneella. Kokouskutsu jaetaan postiluukkuihin.",
    ),
    (
        "Sähkökatko",
        "Sähköt katkaistaan verkkoyhtiön huoltotöiden vuoksi klo 8–10.",
    ),
    (
        "Pysäköintialueen auraus",
        "Pysäköintialue aurataan keskiviikkona. Siirräthän autosi pois klo 7–9.",
    ),
    (
        "Kierrätyspisteen muutos",
        "Biojäteastia on siirretty pihan pohjoispäätyyn.",
    ),
    (
        "Lämmityksen säätö",
        "Patteriverkosto tasapainotetaan ensi viikolla. Huoltomies käy huoneistoissa.",
    ),
    (
        "Parvekeremontti alkaa",
        "Parvekkeiden korjaus alkaa B-portaasta. Tyhjennäthän parvekkeesi.",
    ),
    (
        "Palovaroittimet",
        "Muistathan testata palovaroittimen kuukausittain.",
    ),
];

/// Standing announcements with no end date.
pub const STANDING_NEWS: &[(&str, &str)] = &[
    (
        "Järjestyssäännöt",
        "Muistutamme järjestyssäännöistä: hiljaisuus klo 22–7.",
    ),
    (
        "Pesutuvan varaukset",
        "Pesutuvan vuorot varataan ilmoitustaulun listasta.",
    ),
    (
        "Saunavuorot",
        "Yhteissauna on naisten vuorolla tiistaisin ja miesten torstaisin klo 18–20.",
    ),
    (
        "Huollon päivystys",
        "Kiireellisissä vikatilanteissa soita huoltoyhtiön päivystysnumeroon.",
    ),
];

/// Fault reports about apartments: title, description, location.
pub const APARTMENT_FAULTS: &[(&str, &str, &str)] = &[
    ("Keittiön hana vuotaa", "Hana tippuu jatkuvasti.", "Keittiö"),
    (
        "Patteri ei lämpene",
        "Olohuoneen patteri on kylmä.",
        "Olohuone",
    ),
    (
        "WC-istuin vuotaa",
        "Säiliö valuttaa vettä koko ajan.",
        "Kylpyhuone",
    ),
    ("Ilmanvaihto ei toimi", "Liesituuletin ei vedä.", "Keittiö"),
    (
        "Parvekkeen ovi jumittaa",
        "Ovi ei sulkeudu kunnolla.",
        "Parveke",
    ),
    (
        "Palovaroitin piippaa",
        "Varoitin piippaa lyhyesti minuutin välein.",
        "Eteinen",
    ),
    ("Lattiakaivo tukossa", "Suihkun vesi ei valu.", "Kylpyhuone"),
    (
        "Ikkuna vetää",
        "Makuuhuoneen ikkunasta tulee kylmää.",
        "Makuuhuone",
    ),
];

/// Fault reports about common areas.
pub const COMMON_FAULTS: &[(&str, &str, &str)] = &[
    (
        "Rappukäytävän valo ei toimi",
        "Valo ei syty kolmannessa kerroksessa.",
        "Porraskäytävä",
    ),
    ("Hissi jumissa", "Hissi pysähtyy kerrosten väliin.", "Hissi"),
    (
        "Saunan kiuas ei lämpene",
        "Kiuas ei lämpene saunavuorolla.",
        "Sauna",
    ),
    (
        "Kuivausrumpu rikki",
        "Pyykkituvan kuivausrumpu ei käynnisty.",
        "Pyykkitupa",
    ),
    (
        "Ulko-oven lukko jumittaa",
        "Avain kääntyy vaikeasti.",
        "Ulko-ovi",
    ),
    ("Kellarin ovi ei sulkeudu", "Ovi jää raolleen.", "Kellari"),
];

/// Fault reports about the outdoors.
pub const OUTDOOR_FAULTS: &[(&str, &str, &str)] = &[
    ("Pihavalo rikki", "Pihan valaisin ei syty.", "Piha"),
    (
        "Leikkipaikan keinu rikki",
        "Keinun ketju on poikki.",
        "Leikkipaikka",
    ),
    (
        "Roska-astiat täynnä",
        "Sekajäteastiat ovat täynnä.",
        "Jätekatos",
    ),
    (
        "Jäätä pihatiellä",
        "Pihatie on liukas, hiekoitus tarvitaan.",
        "Pihatie",
    ),
];

/// Reasons for waiting.
pub const WAIT_REASONS: &[&str] = &[
    "Odotetaan varaosaa.",
    "Asukas ei ollut kotona.",
    "Odotetaan urakoitsijaa.",
    "Tilattu uusi laite.",
];

/// Summaries of work done.
pub const WORK_SUMMARIES: &[&str] = &[
    "Tiiviste vaihdettu.",
    "Lamppu vaihdettu.",
    "Patteri ilmattu ja termostaatti vaihdettu.",
    "Lukko voideltu ja säädetty.",
    "Viemäri avattu.",
    "Laite vaihdettu uuteen.",
];

/// Who does the work.
pub const RESOURCES: &[&str] = &["Huoltomies", "Putkimies", "Sähkömies", "Kiinteistöhuoltaja"];

/// Pets.
pub const PETS: &[&str] = &["Kissa", "Koira", "Kaksi kissaa", "Kani"];

/// Mobile prefixes.
pub const MOBILE_PREFIXES: &[&str] = &["040", "041", "044", "045", "046", "050"];

/// `Ääkkönen` → `aakkonen`: a name as an email address part.
pub fn ascii_lower(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'ä' | 'Ä' | 'å' | 'Å' => Some('a'),
            'ö' | 'Ö' => Some('o'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            '-' | '.' => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    #[test]
    fn ascii_lower_folds_finnish_letters() {
        assert_eq!(super::ascii_lower("Väinö Hämäläinen"), "vainohamalainen");
        assert_eq!(
            super::ascii_lower("Huolto-Virtanen Oy"),
            "huolto-virtanenoy"
        );
    }
}
