//! `rappu-portal`: the landing page's and the resident portal's program (loaded for every
//! path but `/display...`).

fn main() {
    rappu_web::start_portal();
}
