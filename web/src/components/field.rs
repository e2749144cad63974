//! Form fields with their label, hint, character count and error, linked for assistive
//! technology: the input names its hint and error in `aria-describedby` and says
//! `aria-invalid` while the error shows.

use yew::prelude::*;

use crate::hooks::use_i18n;
use crate::i18n::fill;

/// Props of [`TextField`].
#[derive(Properties, PartialEq)]
pub struct TextFieldProps {
    /// The input's id (also its name).
    pub id: AttrValue,
    /// The label.
    pub label: AttrValue,
    /// The value.
    pub value: AttrValue,
    /// Called with the new value on every keystroke.
    pub oninput: Callback<String>,
    /// Called when the field loses focus.
    #[prop_or_default]
    pub onblur: Callback<()>,
    /// A hint under the label.
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    /// The error to show, if any.
    #[prop_or_default]
    pub error: Option<String>,
    /// Marks the field required (the label gets an asterisk).
    #[prop_or_default]
    pub required: bool,
    /// A `<textarea>` instead of an `<input>`.
    #[prop_or_default]
    pub multiline: bool,
    /// The input's type (`text`, `tel`, ...).
    #[prop_or(AttrValue::Static("text"))]
    pub input_type: AttrValue,
    /// The `autocomplete` token.
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    /// Shows `n/max` characters under the field.
    #[prop_or_default]
    pub max_chars: Option<usize>,
}

/// The ids an input's `aria-describedby` should name.
pub fn described_by(id: &str, hint: bool, error: bool, count: bool) -> Option<String> {
    let ids: Vec<String> = [(hint, "hint"), (count, "count"), (error, "error")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, part)| format!("{id}-{part}"))
        .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// Whether focus leaves for a submit button. Then the field's error is left to the send
/// (which shows every error): showing it now would move the button away between the press
/// and the release, and the click would be lost.
fn moves_to_submit(e: &FocusEvent) -> bool {
    use wasm_bindgen::JsCast;
    e.related_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| el.get_attribute("type").as_deref() == Some("submit"))
}

/// A label, the input, its hint, count and error.
#[component]
pub fn TextField(props: &TextFieldProps) -> Html {
    let t = use_i18n().t;
    let id = props.id.clone();
    let invalid = props.error.is_some();
    let describedby = described_by(
        &id,
        props.hint.is_some(),
        invalid,
        props.max_chars.is_some(),
    );
    let oninput = {
        let cb = props.oninput.clone();
        move |e: InputEvent| {
            let value = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .map(|i| i.value())
                .or_else(|| {
                    e.target_dyn_into::<web_sys::HtmlTextAreaElement>()
                        .map(|t| t.value())
                })
                .unwrap_or_default();
            cb.emit(value);
        }
    };
    let onblur = {
        let cb = props.onblur.clone();
        move |e: FocusEvent| {
            if !moves_to_submit(&e) {
                cb.emit(());
            }
        }
    };
    let aria_invalid = if invalid { "true" } else { "false" };
    let aria_required = props.required.then_some("true");
    let control = if props.multiline {
        html! {
            <textarea id={id.clone()} name={id.clone()} rows="5" value={props.value.clone()}
                aria-invalid={aria_invalid} aria-required={aria_required}
                aria-describedby={describedby.clone()} {oninput} {onblur} />
        }
    } else {
        html! {
            <input id={id.clone()} name={id.clone()} type={props.input_type.clone()}
                value={props.value.clone()} autocomplete={props.autocomplete.clone()}
                aria-invalid={aria_invalid} aria-required={aria_required}
                aria-describedby={describedby.clone()} {oninput} {onblur} />
        }
    };
    html! {
        <div class={classes!("field", invalid.then_some("invalid"))}>
            <label for={id.clone()}>
                { props.label.clone() }
                if props.required { <span class="required" aria-hidden="true">{ " *" }</span> }
            </label>
            if let Some(hint) = &props.hint {
                <p id={format!("{id}-hint")} class="hint">{ hint.clone() }</p>
            }
            { control }
            if let Some(max) = props.max_chars {
                <p id={format!("{id}-count")} class="count">
                    { fill(t.char_count, &[("n", &props.value.chars().count().to_string()), ("max", &max.to_string())]) }
                </p>
            }
            if let Some(error) = &props.error {
                <FieldMessage id={format!("{id}-error")} text={error.clone()} />
            }
        </div>
    }
}

/// Props of [`FieldMessage`].
#[derive(Properties, PartialEq)]
pub struct FieldMessageProps {
    /// The element id, for `aria-describedby`.
    pub id: AttrValue,
    /// The error.
    pub text: AttrValue,
}

/// A field's error, with a mark that does not rely on colour alone.
#[component]
pub fn FieldMessage(props: &FieldMessageProps) -> Html {
    html! {
        <p id={props.id.clone()} class="field-error">
            <span class="error-mark" aria-hidden="true">{ "!" }</span>
            { props.text.clone() }
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::described_by;

    #[test]
    fn names_only_the_parts_that_exist() {
        assert_eq!(described_by("title", false, false, false), None);
        assert_eq!(
            described_by("title", true, true, true).as_deref(),
            Some("title-hint title-count title-error")
        );
        assert_eq!(
            described_by("phone", false, true, false).as_deref(),
            Some("phone-error")
        );
    }
}
