//! `rappu-pair`: a caretaker's phone pairing displays (loaded for `/display/pair`).

fn main() {
    rappu_web::start_pair();
}
