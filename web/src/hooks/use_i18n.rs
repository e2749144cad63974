//! The language: a context provider at the root and [`use_i18n`] to read and switch it.
//! The choice is a preference kept in `localStorage` (`rappu.lang`); Finnish is the default.
//! The document's `lang` attribute follows it, so screen readers pronounce the page right.

use yew::prelude::*;

use crate::i18n::{Lang, Texts};
use crate::storage;

const STORAGE_KEY: &str = "rappu.lang";

/// The language in use and the way to change it.
#[derive(Clone)]
pub struct I18n {
    /// The language.
    pub lang: Lang,
    /// Its texts.
    pub t: &'static Texts,
    set: Callback<Lang>,
}

/// Two handles are the same when they speak the same language (the texts follow from it;
/// comparing them field by field would cost code and time on every render).
impl PartialEq for I18n {
    fn eq(&self, other: &Self) -> bool {
        self.lang == other.lang && self.set == other.set
    }
}

impl I18n {
    /// Switches the language (and remembers the choice).
    pub fn set_lang(&self, lang: Lang) {
        self.set.emit(lang);
    }
}

/// Props of [`I18nProvider`].
#[derive(Properties, PartialEq)]
pub struct I18nProviderProps {
    /// The app.
    #[prop_or_default]
    pub children: Html,
}

/// Provides [`I18n`] to everything inside it.
#[component]
pub fn I18nProvider(props: &I18nProviderProps) -> Html {
    let lang = use_state(|| {
        storage::get(STORAGE_KEY)
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_default()
    });
    use_effect_with(*lang, |lang| {
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if let Some(root) = root {
            let _ = root.set_attribute("lang", lang.code());
        }
    });
    let set = {
        let lang = lang.clone();
        Callback::from(move |next: Lang| {
            storage::set(STORAGE_KEY, next.code());
            lang.set(next);
        })
    };
    let context = I18n {
        lang: *lang,
        t: lang.texts(),
        set,
    };
    html! {
        <ContextProvider<I18n> {context}>
            { props.children.clone() }
        </ContextProvider<I18n>>
    }
}

/// The language in use (Finnish outside an [`I18nProvider`]).
#[hook]
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| I18n {
        lang: Lang::Fi,
        t: Lang::Fi.texts(),
        set: Callback::noop(),
    })
}
