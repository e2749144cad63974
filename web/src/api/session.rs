//! Who is signed in, and signing in and out (resident sessions are HttpOnly cookies).

use rappu_shared::Role;
use rappu_shared::session::{
    ApartmentOption, DemoLogin, DemoResident, Language, MyContact, RedeemCode,
};
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{ApiError, Call, request, send};

/// The part of [`rappu_shared::Me`] the portal reads: the role of `grant`. Decoding the
/// whole `Grant` (an internally tagged enum) would add ~7 KB of gzip to the portal's wasm
/// for fields it never shows; the role is the shared [`Role`].
#[derive(Deserialize)]
struct MeRole {
    grant: GrantRole,
}

/// The `role` tag of [`rappu_shared::Grant`].
#[derive(Deserialize)]
struct GrantRole {
    role: Role,
}

/// `GET /api/v1/me`: the role the session cookie stands for.
pub async fn my_role() -> Result<Role, ApiError> {
    let me: MeRole = request(Call::get("/api/v1/me")).await?;
    Ok(me.grant.role)
}

/// The phone Tampuuri has for the signed-in resident, if any.
pub async fn my_contact() -> Result<MyContact, ApiError> {
    request(Call::get("/api/v1/me/contact")).await
}

/// The residents a demo lets you sign in as (404 outside demo mode).
pub async fn demo_residents() -> Result<Vec<DemoResident>, ApiError> {
    request(Call::get("/api/v1/auth/demo-residents")).await
}

/// Signs in as a demo resident.
pub async fn demo_login(who: &DemoLogin) -> Result<(), ApiError> {
    request(Call::post("/api/v1/auth/demo-login").json(who)?).await
}

/// Exchanges a one-time login code for a resident session; `Some` apartments when the
/// resident has several and picks one with [`pick_apartment`] first.
pub async fn login(code: &str) -> Result<Option<Vec<ApartmentOption>>, ApiError> {
    let call = Call::post("/api/v1/auth/login").json(&RedeemCode {
        code: code.to_owned(),
    })?;
    let response = send(&call).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    // `ApartmentChoice`, read with the browser's JSON parser: a serde decoder for it would
    // add kilobytes to the portal for two fields (see `MeRole`).
    let answer = json(response).await?;
    let list = js_sys::Array::from(&field(&answer, "apartments"));
    let apartments = list
        .iter()
        .map(|item| ApartmentOption {
            apartment: field(&item, "apartment").as_f64().unwrap_or(0.0) as u64,
            label: field(&item, "label").as_string().unwrap_or_default(),
        })
        .filter(|a| a.apartment != 0)
        .collect();
    Ok(Some(apartments))
}

/// The answer's body parsed as JSON by the browser.
async fn json(response: gloo_net::http::Response) -> Result<JsValue, ApiError> {
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| ApiError::Decode("not JSON".into()))
}

fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A JSON body written by hand (the same few-kilobyte reason).
fn body(call: Call, json: String) -> Call {
    call.json_text(json)
}

/// Asks for a sign-in link to `email` (the answer is the same whether or not a resident
/// has that address); the seconds the link will work.
pub async fn request_link(email: &str, language: Language) -> Result<u64, ApiError> {
    let email = serde_json::to_string(email).map_err(|e| ApiError::Decode(e.to_string()))?;
    let language = match language {
        Language::Fi => "fi",
        Language::En => "en",
    };
    let call = body(
        Call::post("/api/v1/auth/email-link"),
        format!(r#"{{"email":{email},"language":"{language}"}}"#),
    );
    let answer = json(send(&call).await?).await?;
    Ok(field(&answer, "link_valid_secs").as_f64().unwrap_or(900.0) as u64)
}

/// Opens the session for the apartment picked after a sign-in link.
pub async fn pick_apartment(apartment: u64) -> Result<(), ApiError> {
    let call = body(
        Call::post("/api/v1/auth/apartment"),
        format!(r#"{{"apartment":{apartment}}}"#),
    );
    request(call).await
}

/// Ends the session (the gateway revokes it and clears the cookie).
pub async fn logout() -> Result<(), ApiError> {
    request(Call::post("/api/v1/auth/logout")).await
}
