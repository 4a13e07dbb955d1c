//! The console's pages, server-rendered with `maud`: plain forms, no
//! JavaScript. The ids and names are the contract the browser test reads
//! (`/work/notes/CONSOLE_CONTRACT.md` in the project's notes).

use maud::{DOCTYPE, Markup, PreEscaped, html};
use mfa::{Awaiting, Destination, Either, KeyUri, RecoveryCode, Scenario};
use serde::{Deserialize, Serialize};

use crate::outbox::Message;
use crate::users::{DEMO, User};
use crate::wiring::Account;

/// A sentence for the person at the top of the next page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// A refusal (`true`) or a piece of news.
    pub error: bool,
    /// The sentence.
    pub text: String,
}

impl Flash {
    /// A refusal.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            error: true,
            text: text.into(),
        }
    }

    /// News.
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            error: false,
            text: text.into(),
        }
    }
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f4f6f8;color:#1c2430}
header{background:#1f3a5f;color:#fff;padding:.8rem 2rem;display:flex;justify-content:space-between;align-items:center}
header a{color:#fff;text-decoration:none;margin-right:1rem}
header form{display:inline;margin:0}
main{max-width:46rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin-top:0}
#message{padding:.6rem 1rem;border-radius:6px}
#message.error{background:#fdecea;color:#8a1c12}
#message.info{background:#e8f4ea;color:#1d5e2c}
form{margin:1rem 0}
fieldset{border:1px solid #d5dbe1;border-radius:6px;margin:.8rem 0}
label{display:block;margin:.3rem 0}
input[type=text],input[type=password],input[type=tel]{font-size:1rem;padding:.4rem;width:14rem}
button{font-size:1rem;padding:.45rem 1rem;border-radius:6px;border:1px solid #1f3a5f;background:#1f3a5f;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1f3a5f}
button.danger{background:#a4281b;border-color:#a4281b}
dl{display:grid;grid-template-columns:11rem 1fr;gap:.4rem}
dt{font-weight:600}
dd{margin:0}
#protection-status.on{color:#1d5e2c;font-weight:600}
.warning{color:#8a1c12;font-weight:600}
table{border-collapse:collapse}
th,td{text-align:left;padding:.2rem 1rem .2rem 0}
#protection-status.off{color:#8a1c12;font-weight:600}
.actions{display:flex;gap:.6rem;flex-wrap:wrap}
.actions form{margin:.4rem 0}
#secret{font-family:ui-monospace,monospace;font-size:1.2rem;letter-spacing:.05em}
#qr svg{display:block}
#recovery-codes{font-family:ui-monospace,monospace;font-size:1.1rem;columns:2}
article.message{border-top:1px solid #d5dbe1;padding:.5rem 0}
pre.body{white-space:pre-wrap;background:#f4f6f8;padding:.5rem;border-radius:4px}
table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #e3e7eb;text-align:left}
.hint{color:#5b6670;font-size:.9rem}
";

/// The frame of every page.
fn layout(title: &str, user: Option<&User>, flash: Option<&Flash>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Example Co console" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    nav {
                        a href="/" { b { "Example Co console" } }
                        @if user.is_some() { a href="/resources" { "Resources" } }
                        @if user.is_some_and(|u| u.admin) { a #admin href="/admin" { "Admin" } }
                        a href="/outbox" { "Outbox (dev)" }
                    }
                    @if let Some(user) = user {
                        span {
                            (user.name) " "
                            form #logout method="post" action="/logout" {
                                button.secondary type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    @if let Some(flash) = flash {
                        p #message class=(if flash.error { "error" } else { "info" }) { (flash.text) }
                    }
                    (body)
                }
            }
        }
    }
}

/// The sign-in page, with the demo users as a hint.
pub fn login(flash: Option<&Flash>) -> Markup {
    layout(
        "Sign in",
        None,
        flash,
        html! {
            form #login method="post" action="/login" {
                label { "User name " input type="text" name="username" autocomplete="username" autofocus; }
                label { "Password " input type="password" name="password" autocomplete="current-password"; }
                button type="submit" { "Sign in" }
            }
            p.hint { "Demo users (development only):" }
            table.hint {
                tr { th { "user" } th { "password" } th { "e-mail" } th { "phone" } th { "role" } }
                @for (name, password, email, phone, admin) in DEMO {
                    tr { td { (name) } td { code { (password) } } td { (email) } td { (phone.unwrap_or("none")) } td { (if admin { "administrator" } else { "user" }) } }
                }
            }
        },
    )
}

/// What a person calls a scenario.
fn scenario_name(scenario: &Scenario) -> String {
    match scenario {
        Scenario::LogOn => "Log-on".to_owned(),
        Scenario::CriticalOperation => "Critical operations".to_owned(),
        other => other.to_string(),
    }
}

/// The account page: what protection is on, and the forms to change it.
pub fn home(user: &User, account: &Account, now: u64, flash: Option<&Flash>) -> Markup {
    let method = account
        .factor()
        .map_or_else(|| "None".to_owned(), factor_kind);
    let scenarios: Vec<String> = account.scenarios().iter().map(scenario_name).collect();
    layout(
        "Account protection",
        Some(user),
        flash,
        html! {
            dl {
                dt { "Account" } dd { (user.name) " · " (user.email) }
                dt { "Protection" }
                dd #protection-status class=(if account.is_on() { "on" } else { "off" }) {
                    @if account.is_on() { "On" } @else { "Off" }
                }
                @if account.is_on() {
                    dt { "Method" } dd #protection-method { (method) }
                    dt { "Asked at" } dd #protection-scenarios { (scenarios.join(", ")) }
                    @if let Some(codes) = account.recovery_codes() {
                        @let (left, warning) = recovery_codes_left(codes.remaining(), codes.total());
                        dt { "Recovery codes" } dd #recovery-codes-left { (left) }
                        @if let Some(warning) = warning {
                            dt {} dd #recovery-codes-warning.warning { (warning) }
                        }
                    }
                    @if let Some(since) = account.since() {
                        dt { "Since" } dd { (timestamp(since)) }
                    }
                }
            }
            @if account.is_on() {
                h2 { "Second factors" }
                table #factors {
                    tr { th { "Name" } th { "Kind" } th { "Added" } th {} th {} }
                    @for factor in account.factors() {
                        tr.factor {
                            td.name { (factor.name().as_str()) } td { (factor_kind(factor.record())) } td { (timestamp(factor.added())) }
                            td {
                                form.rename-factor method="post" action="/factors/rename" {
                                    input type="hidden" name="factor" value=(factor.id());
                                    input type="text" name="name" value=(factor.name().as_str()) aria-label="New name";
                                    button.secondary type="submit" { "Rename" }
                                }
                            }
                            td {
                                form.remove-factor method="post" action="/factors/remove" {
                                    input type="hidden" name="factor" value=(factor.id());
                                    button.danger type="submit" { "Remove" }
                                }
                            }
                        }
                    }
                }
                form #add-factor method="post" action="/factors/add" {
                    label { "Another factor, named " input type="text" name="name" placeholder="Backup phone"; }
                    button.secondary type="submit" { "Add" }
                }
                p.hint { "Each change asks for your second factor first." }
                div.actions {
                    form #change-method method="post" action="/protection/change-method" {
                        @if let Some(first) = account.factors().first() {
                            input type="hidden" name="factor" value=(first.id());
                        }
                        button type="submit" { "Change method" }
                    }
                    form #regenerate-recovery-codes method="post" action="/protection/regenerate-recovery-codes" {
                        button.secondary type="submit" { "New recovery codes" }
                    }
                    form #turn-off method="post" action="/protection/turn-off" {
                        button.danger type="submit" { "Turn protection off" }
                    }
                }
            } @else {
                p { "Protect your account with a second factor: an authenticator app or text messages." }
                p { a #protect href="/protection/setup" { "Turn on account protection" } }
            }
            @let devices: Vec<_> = account.trusted_devices(now).collect();
            @if !devices.is_empty() {
                h2 { "Remembered browsers" }
                p.hint { "These sign in without a code until they expire." }
                ul #trusted-devices {
                    @for device in &devices {
                        li {
                            "Added " (timestamp(device.added_at())) ", until " (timestamp(device.expires_at())) " "
                            form.forget-device method="post" action="/devices/forget" {
                                input type="hidden" name="device" value=(device.id());
                                button.secondary type="submit" { "Forget" }
                            }
                        }
                    }
                }
                form #forget-all-devices method="post" action="/devices/forget" {
                    input type="hidden" name="device" value="all";
                    button.danger type="submit" { "Forget all" }
                }
            }
            p { a #resources href="/resources" { "Your resources" } }
        },
    )
}

/// What a factor is, in words: "Authenticator app", "Text message to +44 77…23".
fn factor_kind(record: &crate::wiring::Record) -> String {
    match record {
        Either::First(_) => "Authenticator app".to_owned(),
        Either::Second(sms) => format!("Text message to {}", masked(sms.phone().as_str())),
    }
}

/// At most this many recovery codes left, the account page warns.
pub const FEW_RECOVERY_CODES: usize = 3;

/// "7 of 10 recovery codes left", and a warning when few are left
/// ([`FEW_RECOVERY_CODES`] or fewer).
pub fn recovery_codes_left(left: usize, total: usize) -> (String, Option<&'static str>) {
    let warning = match left {
        0 => Some(
            "None left: make new recovery codes now, or losing your second factor locks you out.",
        ),
        1..=FEW_RECOVERY_CODES => Some("Few left: make new recovery codes before they run out."),
        _ => None,
    };
    (format!("{left} of {total} recovery codes left"), warning)
}

/// Step 1 of turning protection on: scenarios, method, identity check.
pub fn setup_form(user: &User, flash: Option<&Flash>) -> Markup {
    layout(
        "Turn on account protection",
        Some(user),
        flash,
        html! {
            form #setup-form method="post" action="/protection/setup" {
                fieldset {
                    legend { "Ask for a second factor at" }
                    label { input type="checkbox" name="scenario" value="log-on" checked; " Log-on" }
                    label { input type="checkbox" name="scenario" value="critical" checked; " Critical operations (deleting resources)" }
                }
                fieldset {
                    legend { "Method" }
                    label { input type="radio" name="method" value="totp" checked; " Authenticator app" }
                    label { input type="radio" name="method" value="sms"; " Text message" }
                }
                fieldset {
                    legend { "First, confirm it is you with a code sent to" }
                    label { input type="radio" name="identity" value="email" checked; " your e-mail, " (user.email) }
                    @if let Some(phone) = &user.phone {
                        label { input type="radio" name="identity" value="phone"; " your phone, " (masked(phone.as_str())) }
                    }
                }
                button type="submit" { "Send the code" }
            }
        },
    )
}

/// The code-sent-for-identity form.
pub fn identity_form(user: &User, contact: &Destination, flash: Option<&Flash>) -> Markup {
    layout(
        "Confirm it is you",
        Some(user),
        flash,
        html! {
            p { "Type the code we sent to " (shown_contact(contact)) "." }
            form #identity-form method="post" action="/protection/identity" {
                label { "Code " input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" autofocus; }
                button type="submit" { "Confirm" }
            }
            (resend_and_cancel("Send a new code"))
        },
    )
}

/// The phone number to bind (SMS, identity by e-mail).
pub fn phone_form(user: &User, flash: Option<&Flash>) -> Markup {
    layout(
        "Your phone number",
        Some(user),
        flash,
        html! {
            p { "We will text a code to this number to make sure it is yours." }
            form #phone-form method="post" action="/protection/phone" {
                label { "Phone (international form) " input type="tel" name="phone" placeholder="+447700900123" value=[user.phone.as_ref().map(Destination::as_str)]; }
                button type="submit" { "Text me a code" }
            }
            (resend_and_cancel(""))
        },
    )
}

/// The new method, when changing it.
pub fn method_form(user: &User, flash: Option<&Flash>) -> Markup {
    layout(
        "Change the method",
        Some(user),
        flash,
        html! {
            form #method-form method="post" action="/protection/method" {
                fieldset {
                    legend { "New method" }
                    label { input type="radio" name="method" value="totp" checked; " Authenticator app (a new key)" }
                    label { input type="radio" name="method" value="sms"; " Text message to " input type="tel" name="phone" placeholder="+447700900123" value=[user.phone.as_ref().map(Destination::as_str)]; }
                }
                button type="submit" { "Continue" }
            }
            (resend_and_cancel(""))
        },
    )
}

/// The new key: QR code, the secret by hand, and the code to confirm.
pub fn totp_key(user: &User, key: &KeyUri, flash: Option<&Flash>) -> Markup {
    let svg = key.to_qr().map(|qr| qr.to_svg().as_str().to_owned());
    let secret = key.secret().expose_base32();
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let uri = key.to_uri();
    layout(
        "Scan the key",
        Some(user),
        flash,
        html! {
            p { "Scan this code with your authenticator app (Google Authenticator, Authy, 1Password…). It is shown once." }
            div #qr { @match &svg { Ok(svg) => (PreEscaped(svg)), Err(_) => p { "The QR code could not be drawn: type the key." } } }
            p { "Or type this key: " span #secret { (grouped.join(" ")) } }
            p.hint { "On a phone: " a #otpauth href=(uri.as_str()) { "open in your authenticator app" } }
            (confirm_form("Type the code your app shows now."))
            (resend_and_cancel(""))
        },
    )
}

/// The confirmation form alone (the key shown before; the code texted).
pub fn confirm_page(user: &User, to: Option<&Destination>, flash: Option<&Flash>) -> Markup {
    layout(
        "Confirm your second factor",
        Some(user),
        flash,
        html! {
            @match to {
                Some(to) => (confirm_form(&format!("Type the code we texted to {}.", masked(to.as_str())))),
                None => (confirm_form("Type the code your app shows now (from the key shown before). Lost it? Cancel and start again.")),
            }
            (resend_and_cancel(if to.is_some() { "Text me a new code" } else { "" }))
        },
    )
}

fn confirm_form(what: &str) -> Markup {
    html! {
        form #confirm-form method="post" action="/protection/confirm" {
            label { (what) " " input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" autofocus; }
            button type="submit" { "Confirm" }
        }
    }
}

fn resend_and_cancel(resend: &str) -> Markup {
    html! {
        @if !resend.is_empty() {
            form #resend method="post" action="/protection/resend" { button.secondary type="submit" { (resend) } }
        }
        form #cancel method="post" action="/protection/cancel" { button.secondary type="submit" { "Cancel" } }
    }
}

/// The recovery codes, shown once.
pub fn recovery_codes(user: &User, codes: &[RecoveryCode], flash: Option<&Flash>) -> Markup {
    let text: String = codes.iter().map(|c| format!("{}\n", c.expose())).collect();
    let download = format!("data:text/plain;charset=utf-8,{}", percent(&text));
    layout(
        "Your recovery codes",
        Some(user),
        flash,
        html! {
            p { "Each code works once, when you cannot use your second factor. Keep them somewhere safe: they are shown only now." }
            ul #recovery-codes { @for code in codes { li { (code.expose()) } } }
            p { a #download-recovery-codes href=(download) download="example-co-recovery-codes.txt" { "Download the codes" } }
            p { a #continue href="/" { "I have saved them" } }
        },
    )
}

/// What a check is for, in words.
pub fn purpose(after: &crate::app::After) -> String {
    use crate::app::After;
    match after {
        After::LogOn => "to sign in".to_owned(),
        After::Delete(name) => format!("to delete {name}"),
        After::ChangeMethod(_) => "to change your sign-in method".to_owned(),
        After::Regenerate => "to make new recovery codes".to_owned(),
        After::TurnOff => "to turn protection off".to_owned(),
        After::Add(_) => "to add a second factor".to_owned(),
        After::Rename(..) => "to rename a second factor".to_owned(),
        After::Remove(_) => "to remove a second factor".to_owned(),
    }
}

/// The challenge: a code from the app or a text, or a recovery code; the
/// account's other factors (`others`) to ask instead.
pub fn verify(
    user: &User,
    signed_in: bool,
    awaiting: Awaiting<'_>,
    (phone, others): (Option<&str>, &[&mfa::NamedFactor<crate::wiring::Record>]),
    why: &str,
    remember_days: u64,
    flash: Option<&Flash>,
) -> Markup {
    layout(
        "Confirm it is you",
        signed_in.then_some(user),
        flash,
        html! {
            p { "Your account is protected: confirm it is you " (why) "." }
            @if let Some(phone) = phone {
                form #send-code method="post" action="/verify/send" {
                    @if awaiting == Awaiting::SentCode {
                        button.secondary type="submit" { "Text me a new code" }
                    } @else {
                        button type="submit" { "Text me a code" }
                    }
                    " " span.hint { "to " (masked(phone)) }
                }
            }
            form #code-form method="post" action="/verify/code" {
                label {
                    @if phone.is_some() { "Code from the text message " } @else { "Code from your authenticator app " }
                    input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" autofocus;
                }
                @if !signed_in {
                    label { input type="checkbox" name="remember" value="on"; " Remember this browser for " (remember_days) " days" }
                }
                button type="submit" { "Verify" }
            }
            @for other in others {
                form.choose-factor method="post" action="/verify/choose" {
                    input type="hidden" name="factor" value=(other.id());
                    button.secondary type="submit" { "Use " (other.name().as_str()) " instead" }
                }
            }
            p.hint { "Cannot use it? Use one of your recovery codes:" }
            form #recovery-form method="post" action="/verify/recovery" {
                label { "Recovery code " input type="text" name="recovery_code" autocomplete="off"; }
                button.secondary type="submit" { "Use a recovery code" }
            }
            @if !signed_in {
                form #logout method="post" action="/logout" { button.secondary type="submit" { "Cancel" } }
            }
        },
    )
}

/// The demo resources, each with a delete button (a critical operation).
pub fn resources(user: &User, names: &[String], flash: Option<&Flash>) -> Markup {
    layout(
        "Resources",
        Some(user),
        flash,
        html! {
            p { "Deleting a resource is a critical operation: with protection on for it, you confirm it is you first." }
            table {
                @for name in names {
                    tr {
                        td.resource { (name) }
                        td {
                            form.delete-resource method="post" action="/resources/delete" {
                                input type="hidden" name="resource" value=(name);
                                button.danger type="submit" { "Delete" }
                            }
                        }
                    }
                }
            }
            @if names.is_empty() { p { "No resources left." } }
        },
    )
}

/// The administrator's page: reset a user's protection, with a reason.
pub fn admin(user: &User, flash: Option<&Flash>) -> Markup {
    layout(
        "Administration",
        Some(user),
        flash,
        html! {
            p { "Reset the account protection of a user who lost every factor and recovery code, once you have checked who they are. It turns their protection off, ends their sessions and tells them; the audit log names you and the reason (keep personal data out of it)." }
            form #admin-reset method="post" action="/admin/reset" {
                label { "User " input type="text" name="user"; }
                label { "Reason " input type="text" name="reason"; }
                button.danger type="submit" { "Reset protection" }
            }
        },
    )
}

/// The page a user who is not an administrator gets at `/admin` (403).
pub fn forbidden(user: &User) -> Markup {
    layout(
        "Not allowed",
        Some(user),
        None,
        html! { p #forbidden { "Only administrators may open this page." } },
    )
}

/// The development outbox, newest first.
pub fn outbox(messages: &[Message]) -> Markup {
    layout(
        "Outbox (development)",
        None,
        None,
        html! {
            p.hint { "No SMS gateway or mailer is reachable here: what the console sends lands on this page." }
            @for m in messages {
                article.message data-channel=(m.channel()) data-to=(m.to.as_str()) {
                    h2 style="font-size:1rem" { (if m.channel() == "sms" { "SMS" } else { "E-mail" }) " to " (shown_contact(&m.to)) @if m.channel() == "email" { " · " (m.subject) } }
                    pre.body { (m.body) }
                }
            }
            @if messages.is_empty() { p { "Nothing sent yet." } }
        },
    )
}

/// A contact as shown: an e-mail address in full, a phone masked.
fn shown_contact(contact: &Destination) -> String {
    match contact {
        Destination::Sms(phone) => masked(phone.as_str()),
        other => other.to_string(),
    }
}

/// A phone number with its middle hidden: `+44 77…01`.
pub fn masked(phone: &str) -> String {
    let head = phone.get(..3).unwrap_or_default();
    let next = phone.get(3..5).unwrap_or_default();
    let tail = phone
        .get(phone.len().saturating_sub(2)..)
        .unwrap_or_default();
    format!("{head} {next}…{tail}")
}

/// A message of the crate (lower case, clauses joined by `; `, no full
/// stop) as sentences: `Too many failed attempts. Try again in 20 s.`
pub fn sentence(text: &str) -> String {
    let mut out = String::new();
    for clause in text.trim_end_matches('.').split("; ") {
        let mut chars = clause.chars();
        out.extend(chars.next().map(|c| c.to_uppercase().collect::<String>()));
        out.push_str(chars.as_str());
        out.push_str(". ");
    }
    out.trim_end().to_owned()
}

/// A Unix time as `2026-12-06 14:55 UTC`.
// Days fit in 48 bits, so none of these overflow an i64.
#[allow(clippy::arithmetic_side_effects)]
pub fn timestamp(at: u64) -> String {
    let (days, secs) = (at / 86_400, at % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = i64::try_from(days).unwrap_or(0).saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3_600,
        secs % 3_600 / 60
    )
}

/// Percent-encodes `text` for a `data:` URL.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
