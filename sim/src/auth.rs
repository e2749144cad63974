//! The six-header authentication of every API call. Any missing header, an unknown key,
//! customer or account, or a wrong user or password answers 403.

use std::sync::Arc;

use axum::http::HeaderMap;

use crate::error::ApiError;
use crate::simulator::{Account, Simulator};

/// `X-TampuuriAvain`: the API key.
pub const API_KEY: &str = "X-TampuuriAvain";
/// `X-AsiakasNimi`: the customer name.
pub const CUSTOMER: &str = "X-AsiakasNimi";
/// `X-Ohjelmistoversio`: the calling software.
pub const SOFTWARE: &str = "X-Ohjelmistoversio";
/// `X-TiliNimi`: the account.
pub const ACCOUNT: &str = "X-TiliNimi";
/// `X-Kayttajatunnus`: the API user.
pub const USER: &str = "X-Kayttajatunnus";
/// `X-Salasana`: the password.
pub const PASSWORD: &str = "X-Salasana";

/// All six, in the vendor's order.
pub const HEADERS: [&str; 6] = [API_KEY, CUSTOMER, SOFTWARE, ACCOUNT, USER, PASSWORD];

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::Forbidden(format!("Otsake {name} puuttuu")))
}

/// The account the headers authenticate, or 403.
pub(crate) fn authenticate(sim: &Simulator, headers: &HeaderMap) -> Result<Arc<Account>, ApiError> {
    let values: Vec<&str> = HEADERS
        .iter()
        .map(|name| header(headers, name))
        .collect::<Result<_, _>>()?;
    let [key, customer, _software, account, user, password] = values.as_slice() else {
        return Err(ApiError::Forbidden(
            "Tunnistautuminen epäonnistui".to_owned(),
        ));
    };
    let config = sim.config();
    let denied = || ApiError::Forbidden("Tunnistautuminen epäonnistui".to_owned());
    if *key != config.api_key || *customer != config.customer_name {
        return Err(denied());
    }
    let found = sim.account(account).ok_or_else(denied)?;
    if found.user != *user || found.password != *password {
        return Err(denied());
    }
    Ok(found)
}
