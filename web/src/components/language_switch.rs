//! The language switch: one button that offers the other language, named in that language
//! (`In English` / `Suomeksi`). One button, not one per language: on a narrow phone with
//! large text the header stays a line shorter.

use yew::prelude::*;

use crate::hooks::use_i18n;
use crate::i18n::Lang;

/// A button that switches the app to the other language.
#[component]
pub fn LanguageSwitch() -> Html {
    let i18n = use_i18n();
    let other = if i18n.lang == Lang::Fi {
        Lang::En
    } else {
        Lang::Fi
    };
    let onclick = {
        let i18n = i18n.clone();
        move |_: MouseEvent| i18n.set_lang(other)
    };
    html! {
        <button type="button" class="language-switch" lang={other.code()} {onclick}>
            { other.own_name() }
        </button>
    }
}
