use rappu_shared::display::FeedFloor;

use super::*;

/// A staircase with `floors[i]` apartments on floor i+1, and heights where every row is
/// `row` px (headings: staircase 2 rows, floor 1 row).
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

fn heights(board: &[FeedStaircase], row: f64) -> Heights {
    Heights {
        staircase: 2.0 * row,
        floor: row,
        rows: board
            .iter()
            .map(|s| {
                s.floors
                    .iter()
                    .map(|f| vec![row; f.apartments.len()])
                    .collect()
            })
            .collect(),
    }
}

/// `lines` lines of 10 px (plus the slack a column keeps).
fn lines(n: usize) -> f64 {
    n as f64 * 10.0 + SLACK
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
    let pages = layout(&board, &heights(&board, 10.0), 3, lines(20));
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
    let board = [staircase("A", &[4, 4, 4, 4, 4])];
    let pages = layout(&board, &heights(&board, 10.0), 2, lines(12));
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
    let board = [staircase("A", &[9])];
    let pages = layout(&board, &heights(&board, 10.0), 3, lines(6));
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
fn a_big_floor_is_split_rather_than_leave_half_a_column_empty() {
    // Two floors of 8: the top floor takes 2 + 9 of 16 lines; 5 lines are left, more than
    // half of the next floor (9): it starts here and goes on, heading repeated.
    let board = [staircase("A", &[8, 8])];
    let pages = layout(&board, &heights(&board, 10.0), 2, lines(16));
    assert_eq!(
        shape(&pages),
        [[vec![("A".into(), false, 14)], vec![("A".into(), true, 5)]]]
    );
    assert_eq!(pages[0].columns[1][0].lines[0], BoardLine::Floor(1));
    // With 3 lines left (less than half), the floor moves whole to the next column.
    let pages = layout(&board, &heights(&board, 10.0), 2, lines(14));
    assert_eq!(
        shape(&pages),
        [[vec![("A".into(), false, 9)], vec![("A".into(), true, 9)]]]
    );
}

#[test]
fn rows_that_wrap_take_their_measured_height() {
    // Three rows of one line and one of three lines (a long name): 2 + 1 + 3 + 3 = 9
    // lines, which does not fit a column of 8.
    let board = [staircase("A", &[4])];
    let mut h = heights(&board, 10.0);
    h.rows[0][0][3] = 30.0;
    let pages = layout(&board, &h, 2, lines(8));
    assert_eq!(
        shape(&pages),
        [[vec![("A".into(), false, 4)], vec![("A".into(), true, 2)]]]
    );
    let pages = layout(&board, &h, 2, lines(9));
    assert_eq!(shape(&pages), [[[("A".into(), false, 5)]]]);
}

#[test]
fn many_small_staircases_share_columns_when_that_saves_pages() {
    let board: Vec<_> = ["A", "B", "C", "D"]
        .iter()
        .map(|n| staircase(n, &[2]))
        .collect();
    // 5 lines each with the heading; 2 columns of 10 hold all four.
    let pages = layout(&board, &heights(&board, 10.0), 2, lines(10));
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].columns.len(), 2);
    assert_eq!(pages[0].columns[0].len(), 2);
}

#[test]
fn packing_moves_a_staircase_to_the_next_column_rather_than_split_it() {
    let board = [
        staircase("A", &[3, 3, 3]),
        staircase("B", &[4, 4]),
        staircase("C", &[2, 2, 2]),
    ];
    let pages = layout(&board, &heights(&board, 10.0), 2, lines(25));
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
    assert_eq!(
        layout(&[], &Heights::default(), 3, 200.0),
        [BoardPage::default()]
    );
}

#[test]
fn plans_prefer_fewer_pages_then_larger_type_then_wider_columns() {
    let plan = |pages: usize, font: f64, columns: usize| Plan {
        font,
        columns,
        column_width: 100.0,
        gap: 10.0,
        pages: vec![BoardPage::default(); pages],
    };
    assert!(plan(1, 18.0, 3).better(&plan(2, 28.0, 1)));
    assert!(plan(2, 24.0, 3).better(&plan(2, 20.0, 2)));
    assert!(plan(2, 24.0, 2).better(&plan(2, 24.0, 3)));
    assert!(!plan(2, 24.0, 2).better(&plan(2, 24.0, 2)));
}

#[test]
fn a_staircase_taller_than_a_page_is_told() {
    let board = [staircase("A", &[4, 4, 4, 4, 4]), staircase("B", &[2])];
    let h = heights(&board, 10.0);
    let plan = |columns: usize, height: f64| Plan {
        font: 20.0,
        columns,
        column_width: 100.0,
        gap: 10.0,
        pages: layout(&board, &h, columns, height),
    };
    assert!(!plan(1, lines(12)).staircases_fit_a_page());
    assert!(plan(3, lines(12)).staircases_fit_a_page());
    assert!(plan(2, lines(16)).staircases_fit_a_page());
}
