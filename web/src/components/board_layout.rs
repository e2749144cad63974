//! Laying the apartment board out in pages that fit the screen, so a tall building needs
//! no scrolling: the display turns the pages by itself.
//!
//! The screen gives `columns` columns of `lines` lines each (measured by the board). Each
//! staircase lists its floors from the top down, each floor a heading line and one line per
//! apartment. A floor is kept whole in a column when it fits; a staircase taller than a
//! column continues in the next one under a "continued" heading. Staircases start a column
//! of their own, unless packing them together (never splitting one that would fit a column
//! of its own) saves pages.

use rappu_shared::display::{FeedApartment, FeedStaircase};

/// Lines a staircase heading takes (the heading and the space under it).
pub const HEADING_LINES: usize = 2;

/// One line of the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardLine {
    /// A floor heading.
    Floor(i32),
    /// An apartment with the names that may be shown.
    Apartment(FeedApartment),
}

/// A staircase's lines within one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardBlock {
    /// The staircase's name (`A`).
    pub staircase: String,
    /// Whether the staircase began in an earlier column.
    pub continued: bool,
    /// Its lines here.
    pub lines: Vec<BoardLine>,
}

/// A column of blocks.
pub type BoardColumn = Vec<BoardBlock>;

/// One screenful.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoardPage {
    /// Its columns, left to right.
    pub columns: Vec<BoardColumn>,
}

struct Packer {
    lines: usize,
    columns: Vec<BoardColumn>,
    used: usize,
}

impl Packer {
    fn new_column(&mut self) {
        self.columns.push(Vec::new());
        self.used = 0;
    }

    fn room(&self) -> usize {
        self.lines.saturating_sub(self.used)
    }

    /// Starts a block for `staircase` in the current column.
    fn open_block(&mut self, staircase: &str, continued: bool) {
        if self.columns.is_empty() {
            self.new_column();
        }
        if let Some(column) = self.columns.last_mut() {
            column.push(BoardBlock {
                staircase: staircase.to_owned(),
                continued,
                lines: Vec::new(),
            });
        }
        self.used += HEADING_LINES;
    }

    fn push(&mut self, line: BoardLine) {
        if let Some(block) = self.columns.last_mut().and_then(|c| c.last_mut()) {
            block.lines.push(line);
            self.used += 1;
        }
    }

    /// Adds a staircase; `fresh_column` starts it at the top of a column.
    fn add(&mut self, staircase: &FeedStaircase, fresh_column: bool) {
        let groups: Vec<(i32, &[FeedApartment])> = staircase
            .floors
            .iter()
            .rev()
            .map(|f| (f.floor, f.apartments.as_slice()))
            .collect();
        let first = groups.first().map_or(0, |(_, a)| 1 + a.len());
        let whole = HEADING_LINES + groups.iter().map(|(_, a)| 1 + a.len()).sum::<usize>();
        let started = !self.columns.is_empty();
        // Here if it fits whole; a staircase that fits a column of its own is not split;
        // one taller than a column starts here if its first floor fits.
        let stay = started
            && !fresh_column
            && (self.room() >= whole
                || (whole > self.lines && self.room() >= HEADING_LINES + first));
        // A new column, unless the current one is still empty.
        if !stay && self.columns.last().is_none_or(|c| !c.is_empty()) {
            self.new_column();
        }
        self.open_block(&staircase.name, false);
        for (floor, apartments) in groups {
            if self.room() < 1 + apartments.len() && self.used > HEADING_LINES {
                self.new_column();
                self.open_block(&staircase.name, true);
            }
            self.push(BoardLine::Floor(floor));
            for apartment in apartments {
                if self.room() == 0 {
                    // A floor taller than a column: go on in the next, heading repeated.
                    self.new_column();
                    self.open_block(&staircase.name, true);
                    self.push(BoardLine::Floor(floor));
                }
                self.push(BoardLine::Apartment(apartment.clone()));
            }
        }
    }
}

fn pack(staircases: &[FeedStaircase], lines: usize, fresh_columns: bool) -> Vec<BoardColumn> {
    let mut packer = Packer {
        // Room for a heading, a floor and an apartment at the very least.
        lines: lines.max(HEADING_LINES + 2),
        columns: Vec::new(),
        used: 0,
    };
    for staircase in staircases {
        packer.add(staircase, fresh_columns);
    }
    packer.columns
}

fn pages(columns: Vec<BoardColumn>, per_page: usize) -> Vec<BoardPage> {
    let per_page = per_page.max(1);
    let mut out: Vec<BoardPage> = Vec::new();
    for column in columns {
        match out.last_mut() {
            Some(page) if page.columns.len() < per_page => page.columns.push(column),
            _ => out.push(BoardPage {
                columns: vec![column],
            }),
        }
    }
    if out.is_empty() {
        out.push(BoardPage::default());
    }
    out
}

/// The board's pages for a screen of `columns` × `lines`.
pub fn layout(staircases: &[FeedStaircase], columns: usize, lines: usize) -> Vec<BoardPage> {
    let separate = pages(pack(staircases, lines, true), columns);
    if separate.len() == 1 {
        return separate;
    }
    let packed = pages(pack(staircases, lines, false), columns);
    if packed.len() < separate.len() {
        packed
    } else {
        separate
    }
}

#[cfg(test)]
mod tests {
    use rappu_shared::display::FeedFloor;

    use super::*;

    fn staircase(name: &str, floors: &[usize]) -> FeedStaircase {
        let mut n = 0;
        FeedStaircase {
            id: 1,
            name: name.into(),
            floors: floors
                .iter()
                .zip(1..)
                .map(|(&count, floor)| FeedFloor {
                    floor,
                    apartments: (0..count)
                        .map(|_| {
                            n += 1;
                            FeedApartment {
                                number: format!("{name} {n}"),
                                names: vec![format!("Nimi{n}")],
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn shape(pages: &[BoardPage]) -> Vec<Vec<Vec<(String, bool, usize)>>> {
        pages
            .iter()
            .map(|p| {
                p.columns
                    .iter()
                    .map(|c| {
                        c.iter()
                            .map(|b| (b.staircase.clone(), b.continued, b.lines.len()))
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_small_building_fits_one_page_one_column_per_staircase() {
        let board = [staircase("A", &[3, 3, 3]), staircase("B", &[4, 4])];
        let pages = layout(&board, 3, 20);
        assert_eq!(
            shape(&pages),
            [[[("A".into(), false, 12)], [("B".into(), false, 10)]]]
        );
        // Top floor first, then its apartments.
        let a = &pages[0].columns[0][0].lines;
        assert_eq!(a[0], BoardLine::Floor(3));
        assert!(matches!(&a[1], BoardLine::Apartment(x) if x.number == "A 7"));
        assert_eq!(a[4], BoardLine::Floor(2));
    }

    #[test]
    fn a_tall_staircase_continues_in_the_next_column_floors_kept_whole() {
        // 5 floors of 4: 25 lines; 12 lines a column leave room for 2 floors (10) each.
        let pages = layout(&[staircase("A", &[4, 4, 4, 4, 4])], 2, 12);
        assert_eq!(
            shape(&pages),
            [
                vec![vec![("A".into(), false, 10)], vec![("A".into(), true, 10)]],
                vec![vec![("A".into(), true, 5)]],
            ]
        );
        assert_eq!(pages[0].columns[1][0].lines[0], BoardLine::Floor(3));
    }

    #[test]
    fn a_floor_taller_than_a_column_is_split_with_its_heading_repeated() {
        let pages = layout(&[staircase("A", &[9])], 3, 6);
        let columns = &pages[0].columns;
        assert_eq!(columns.len(), 3);
        for column in columns {
            assert_eq!(column[0].lines[0], BoardLine::Floor(1));
            assert!(column[0].lines.len() <= 4);
        }
        let apartments: usize = columns.iter().map(|c| c[0].lines.len() - 1).sum();
        assert_eq!(apartments, 9);
    }

    #[test]
    fn many_small_staircases_share_columns_when_that_saves_pages() {
        let board: Vec<_> = ["A", "B", "C", "D"]
            .iter()
            .map(|n| staircase(n, &[2]))
            .collect();
        // 5 lines each with the heading; 2 columns of 10 hold all four.
        let pages = layout(&board, 2, 10);
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].columns.len(), 2);
        assert_eq!(pages[0].columns[0].len(), 2);
    }

    #[test]
    fn packing_moves_a_staircase_to_the_next_column_rather_than_split_it() {
        // The demo building: A 14 lines, B 12, C 11; two columns of 25 on a portrait screen.
        let board = [
            staircase("A", &[3, 3, 3]),
            staircase("B", &[4, 4]),
            staircase("C", &[2, 2, 2]),
        ];
        let pages = layout(&board, 2, 25);
        assert_eq!(
            shape(&pages),
            [[
                vec![("A".into(), false, 12)],
                vec![("B".into(), false, 10), ("C".into(), false, 9)]
            ]]
        );
    }

    #[test]
    fn nothing_to_show_is_one_empty_page() {
        assert_eq!(layout(&[], 3, 20), [BoardPage::default()]);
    }
}
