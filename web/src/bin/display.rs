//! `rappu-display`: the stairwell display's program (loaded for `/display...`).

fn main() {
    rappu_web::start_display();
}
