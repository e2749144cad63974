//! The QR code to the portal's fault report form, drawn by the gateway
//! (`/api/v1/display/portal-qr.svg`, same origin, so the CSP allows it).

use yew::prelude::*;

use crate::api::QR_PATH;
use crate::hooks::use_i18n;

/// The QR code with a caption.
#[component]
pub fn PortalQr() -> Html {
    let t = use_i18n().t;
    html! {
        <figure class="qr">
            <img src={QR_PATH} alt={t.display_qr_alt} width="222" height="222" />
            <figcaption>{ t.display_qr_caption }</figcaption>
        </figure>
    }
}
