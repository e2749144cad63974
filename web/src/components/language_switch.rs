//! The language switch: one button per language, each named in its own language, the
//! current one pressed.

use yew::prelude::*;

use crate::hooks::use_i18n;
use crate::i18n::Lang;

/// Buttons that switch the app's language.
#[component]
pub fn LanguageSwitch() -> Html {
    let i18n = use_i18n();
    html! {
        <div class="language-switch" role="group" aria-label={i18n.t.language}>
            { for Lang::ALL.iter().map(|&lang| {
                let onclick = {
                    let i18n = i18n.clone();
                    move |_: MouseEvent| i18n.set_lang(lang)
                };
                let pressed = if lang == i18n.lang { "true" } else { "false" };
                html! {
                    <button type="button" lang={lang.code()} aria-pressed={pressed} {onclick}>
                        { lang.own_name() }
                    </button>
                }
            }) }
        </div>
    }
}
