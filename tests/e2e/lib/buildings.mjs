// Generated buildings for the board tests: a display feed (the gateway's DisplayFeed shape)
// of a given size, with Finnish surnames up to 40 characters, double-barrelled names,
// apartments with several residents and apartments with none, announcements (one long
// enough to be paged) and ongoing work. Deterministic: the same arguments give the same feed.

const SURNAMES = [
  "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
  "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi",
  "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen", "Tuominen", "Rantanen",
  "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen", "Ahonen", "Leinonen",
  "Kallio", "Pelkonen", "Hyvärinen", "Räsänen", "Ollikainen", "Väisänen", "Kärkkäinen",
];

/** A small deterministic random generator (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A surname of at most `max` characters: plain, double-barrelled, or long double. */
function surname(rnd, max) {
  const pick = () => SURNAMES[Math.floor(rnd() * SURNAMES.length)];
  const roll = rnd();
  let name = pick();
  if (roll > 0.7) name = `${pick()}-${pick()}`;
  if (roll > 0.93) {
    // As long as allowed: a double-barrelled name padded with a third part.
    name = `${pick()}-${pick()}-${pick()}`;
  }
  return name.length > max ? name.slice(0, max).replace(/-$/, "") : name;
}

const LONG_TEXT = [
  "Taloyhtiön vesijohtojen huuhtelu tehdään kaikissa portaissa. Huuhtelun aikana vesi voi olla",
  "sameaa ja paine tavallista heikompi. Älä käytä pesukonetta tai astianpesukonetta huuhtelun",
  "aikana. Laske kylmää vettä muutama minuutti, jos vesi on huuhtelun jälkeen sameaa.",
  "Vesikatkon aikana saunat ja pesutuvat ovat suljettuina. Huoltoyhtiön päivystys vastaa",
  "kysymyksiin arkisin kello 8–16. Kiitos kärsivällisyydestä!",
].join(" ");

/**
 * A display feed of `apartments` apartments over `staircases` staircases of `floors`
 * floors, with `announcements` announcements and `jobs` ongoing jobs.
 */
export function generatedFeed({
  apartments, staircases, floors, announcements = 5, jobs = 3, nameLength = 40, seed = 1,
}) {
  const rnd = random(seed * 7919 + apartments);
  const perStair = Math.ceil(apartments / staircases);
  let left = apartments;
  let number = 1;
  let longest = "";
  const stairs = [];
  for (let s = 0; s < staircases; s++) {
    const letter = String.fromCharCode(65 + s);
    const inStair = Math.min(perStair, left);
    left -= inStair;
    const floorsOut = [];
    for (let f = 0; f < floors; f++) {
      // Spread the staircase's apartments over its floors as evenly as possible.
      const count = Math.floor(inStair / floors) + (f < inStair % floors ? 1 : 0);
      const list = [];
      for (let a = 0; a < count; a++) {
        const roll = rnd();
        const people = roll < 0.08 ? 0 : roll < 0.75 ? 1 : roll < 0.95 ? 2 : 3;
        const names = [];
        for (let p = 0; p < people; p++) names.push(surname(rnd, nameLength));
        // One name in each building exactly as long as allowed.
        if (number === 1) names.splice(0, names.length, "Kärkkäinen-Hyvärinen-Ollikainen-Lehtonen".slice(0, nameLength));
        for (const n of names) if (n.length > longest.length) longest = n;
        list.push({ number: `${letter} ${number}`, names: [...new Set(names)] });
        number++;
      }
      floorsOut.push({ floor: f + 1, apartments: list });
    }
    stairs.push({ id: 900_000 + s, name: letter, floors: floorsOut });
  }
  const day = (offset) => new Date(Date.UTC(2026, 10, 20 + offset, 8)).toISOString();
  const texts = [
    ["Vesikatko torstaina", LONG_TEXT],
    ["Pihatalkoot", "Lauantaina klo 10 pihalla. Tervetuloa! Taloyhtiö tarjoaa kahvit."],
    ["Saunavuorot", "Uudet saunavuorot alkavat joulukuussa. Varaukset huoltoyhtiön kautta."],
    ["Porraskäytävien siivous", "Porraskäytävät pestään maanantaina. Siirräthän kenkäsi ovelta."],
    ["Autopaikat", "Taloyhtiöllä on vapaita autopaikkoja. Kysy isännöitsijältä."],
  ];
  const feed = {
    building: {
      id: 900_000,
      property_name: `As Oy Testikatu ${apartments}`,
      name: "Rakennus 1",
      address: { street: `Testikatu ${apartments}`, postal_code: "00100", city: "Helsinki" },
    },
    staircases: stairs,
    announcements: texts.slice(0, announcements).map(([title, body], i) => ({
      id: 700_000 + i,
      title,
      body,
      published_at: day(-i),
      valid_until: i % 2 ? null : day(10 + i),
    })),
    contacts: {
      maintenance: { name: "Huolto-Virtanen Oy", phone: "020 555 8142", email: "huolto@example.fi" },
      manager: { name: "Onni Tuominen", phone: "010 074 5231", email: "isannointi@example.fi" },
      board_chair: null,
    },
    ongoing_work: [
      { place: "common_areas", category: "Valaistus", state: "received", title: null },
      { place: "outdoors", category: null, state: "open", title: null },
      { place: "building", category: "Ilmanvaihto", state: "waiting", title: null },
    ].slice(0, jobs),
    generated_at: new Date().toISOString(),
    data_as_of: new Date().toISOString(),
    stale: false,
  };
  return { feed, longest };
}

/** The sizes the board tests use. */
export const SIZES = [
  { apartments: 6, staircases: 1, floors: 3, announcements: 0, jobs: 0 },
  { apartments: 30, staircases: 2, floors: 5, announcements: 3, jobs: 1 },
  { apartments: 96, staircases: 3, floors: 8, announcements: 4, jobs: 3 },
  { apartments: 200, staircases: 4, floors: 8, announcements: 5, jobs: 3 },
];
