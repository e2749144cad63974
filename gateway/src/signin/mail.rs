//! The sign-in mail: plain text and HTML, in the language the resident used on the portal
//! with the other one below it (Finnish and English), naming the property.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use rappu_shared::session::Language;

use super::address::EmailAddress;

/// What one sign-in mail says.
#[derive(Debug, Clone)]
pub struct SignInMail<'a> {
    /// The one-time link.
    pub link: &'a str,
    /// How long it works, minutes.
    pub minutes: u64,
    /// The properties of the apartments it signs in to.
    pub properties: Vec<&'a str>,
    /// The resident's language on the portal.
    pub language: Language,
}

struct Words {
    subject: &'static str,
    greeting: &'static str,
    intro: &'static str,
    button: &'static str,
    rules: &'static str,
    ignore: &'static str,
}

const FI: Words = Words {
    subject: "Kirjautumislinkki asukasportaaliin",
    greeting: "Hei,",
    intro: "tällä linkillä kirjaudut asukasportaaliin",
    button: "Kirjaudu sisään",
    rules: "Linkki toimii kerran ja {minutes} minuuttia. Sen voi avata millä laitteella tahansa.",
    ignore: "Jos et pyytänyt linkkiä, voit jättää viestin huomiotta: ilman linkkiä kukaan ei pääse kirjautumaan.",
};

const EN: Words = Words {
    subject: "Your sign-in link to the resident portal",
    greeting: "Hello,",
    intro: "use this link to sign in to the resident portal",
    button: "Sign in",
    rules: "The link works once, for {minutes} minutes, on any device.",
    ignore: "If you did not ask for it, you can ignore this message: nobody can sign in without the link.",
};

fn words(language: Language) -> (&'static Words, &'static Words) {
    match language {
        Language::Fi => (&FI, &EN),
        Language::En => (&EN, &FI),
    }
}

/// `&`, `<`, `>`, `"` and `'` as HTML entities.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl SignInMail<'_> {
    fn places(&self) -> String {
        self.properties.join(", ")
    }

    /// The subject, in the resident's language, with the property.
    pub fn subject(&self) -> String {
        let (first, _) = words(self.language);
        match self.places() {
            p if p.is_empty() => first.subject.to_owned(),
            p => format!("{}: {p}", first.subject),
        }
    }

    fn text_part(&self, w: &Words) -> String {
        let places = self.places();
        let intro = if places.is_empty() {
            format!("{}:", w.intro)
        } else {
            format!("{} ({places}):", w.intro)
        };
        format!(
            "{}\n\n{intro}\n\n{}\n\n{}\n{}\n",
            w.greeting,
            self.link,
            w.rules.replace("{minutes}", &self.minutes.to_string()),
            w.ignore
        )
    }

    /// The plain-text body: both languages, the resident's first.
    pub fn text(&self) -> String {
        let (first, second) = words(self.language);
        format!(
            "{}\n-- \n\n{}",
            self.text_part(first),
            self.text_part(second)
        )
    }

    fn html_part(&self, w: &Words, lang: &str) -> String {
        let places = escape(&self.places());
        let link = escape(self.link);
        let intro = if places.is_empty() {
            format!("{}:", w.intro)
        } else {
            format!("{} (<strong>{places}</strong>):", w.intro)
        };
        format!(
            "<div lang=\"{lang}\"><p>{}</p><p>{intro}</p>\
             <p><a href=\"{link}\" style=\"display:inline-block;padding:12px 20px;background:#0b5394;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold\">{}</a></p>\
             <p style=\"font-size:13px;color:#444444\">{link}</p>\
             <p>{}</p><p style=\"color:#444444\">{}</p></div>",
            w.greeting,
            w.button,
            w.rules.replace("{minutes}", &self.minutes.to_string()),
            w.ignore
        )
    }

    /// The HTML body: both languages, the resident's first.
    pub fn html(&self) -> String {
        let (first, second) = words(self.language);
        let (l1, l2) = match self.language {
            Language::Fi => ("fi", "en"),
            Language::En => ("en", "fi"),
        };
        format!(
            "<!doctype html><html lang=\"{l1}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
             <body style=\"font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a\">\
             {}<hr style=\"border:none;border-top:1px solid #cccccc;margin:24px 0\">{}</body></html>",
            escape(&self.subject()),
            self.html_part(first, l1),
            self.html_part(second, l2)
        )
    }

    /// The message from `from` to `to`.
    pub fn message(&self, from: &Mailbox, to: &EmailAddress) -> Result<Message, String> {
        let to: Mailbox = to
            .as_str()
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(self.subject())
            .multipart(MultiPart::alternative_plain_html(self.text(), self.html()))
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(language: Language) -> SignInMail<'static> {
        SignInMail {
            link: "https://rappu.example.fi/portal/login?code=abc",
            minutes: 15,
            properties: vec!["As Oy <Koivukuja> & 3"],
            language,
        }
    }

    #[test]
    fn both_languages_the_residents_first_with_the_property() {
        let fi = mail(Language::Fi);
        assert_eq!(
            fi.subject(),
            "Kirjautumislinkki asukasportaaliin: As Oy <Koivukuja> & 3"
        );
        let text = fi.text();
        let (finnish, english) = (
            text.find("Linkki toimii kerran ja 15 minuuttia").unwrap(),
            text.find("The link works once, for 15 minutes").unwrap(),
        );
        assert!(finnish < english);
        assert_eq!(text.matches(fi.link).count(), 2);
        assert!(text.contains("(As Oy <Koivukuja> & 3)"));
        let html = fi.html();
        assert!(html.contains("As Oy &lt;Koivukuja&gt; &amp; 3"));
        assert!(!html.contains("<Koivukuja>"));
        assert!(html.contains("lang=\"fi\""));
        assert!(html.find("Kirjaudu sisään").unwrap() < html.find("Sign in").unwrap());
        let en = mail(Language::En);
        assert!(en.subject().starts_with("Your sign-in link"));
        assert!(en.html().find("Sign in").unwrap() < en.html().find("Kirjaudu sisään").unwrap());
    }

    #[test]
    fn builds_a_multipart_message() {
        let from: Mailbox = "Rappu <rappu@example.fi>".parse().unwrap();
        let to = EmailAddress::parse("aino.virtanen@example.fi").unwrap();
        let message = mail(Language::Fi).message(&from, &to).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("To: aino.virtanen@example.fi"));
    }
}
