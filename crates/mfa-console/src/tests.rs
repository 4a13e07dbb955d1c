//! HTTP-level tests of the console, without a browser: requests through
//! the router (sessions and the SQLite store real), codes read from the
//! outbox page and computed from the key the page shows. The browser test
//! is `tests/browser.rs`.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A browser stand-in: keeps the session cookie.
struct Browser {
    app: Router,
    cookie: Option<String>,
    _dir: tempfile::TempDir,
}

/// What came back: the status, where it redirects, the page.
struct Page {
    status: StatusCode,
    location: String,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Page {
    /// The text of `<p id="message">`, if any.
    fn message(&self) -> Option<&str> {
        let start = self.body.find("<p id=\"message\"")?;
        let text = &self.body[start..];
        let text = &text[text.find('>')? + 1..];
        Some(&text[..text.find('<')?])
    }
}

impl Browser {
    /// The console on a SQLite file of its own.
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("console.db").display());
        Self::on(&url, dir).await
    }

    async fn on(url: &str, dir: tempfile::TempDir) -> Self {
        let keys = crate::keys::Keys {
            oob: mfa::OobKey::generate().expect("a key"),
            sealing: mfa::SealingKey::generate(1).expect("a key"),
        };
        Self::with_keys(url, dir, keys).await
    }

    async fn with_keys(url: &str, dir: tempfile::TempDir, keys: crate::keys::Keys) -> Self {
        let app = crate::console(url, keys).await.expect("the console starts");
        Self::serving(app, dir).await
    }

    /// A browser on `app`.
    async fn serving(app: crate::app::App, dir: tempfile::TempDir) -> Self {
        let sessions = crate::sessions::SqlSessions::new(&app.mfa.store)
            .await
            .expect("sessions");
        Self {
            app: app.router(sessions),
            cookie: None,
            _dir: dir,
        }
    }

    async fn send(&mut self, request: axum::http::request::Builder, body: String) -> Page {
        let request = match &self.cookie {
            Some(cookie) => request.header(header::COOKIE, cookie),
            None => request,
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::from(body)).expect("a request"))
            .await
            .expect("an answer");
        if let Some(cookie) = response.headers().get(header::SET_COOKIE) {
            let cookie = cookie.to_str().expect("ASCII");
            self.cookie = Some(cookie.split(';').next().unwrap_or_default().to_owned());
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().expect("ASCII").to_owned())
            .unwrap_or_default();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        Page {
            status,
            location,
            headers,
            body: String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        }
    }

    /// Another browser on the same console, with no cookie yet.
    fn another(&self) -> Self {
        Self {
            app: self.app.clone(),
            cookie: None,
            _dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), String::new()).await
    }

    async fn post(&mut self, path: &str, form: &str) -> Page {
        let request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(request, form.to_owned()).await
    }

    /// The newest code in the outbox.
    async fn last_code(&mut self) -> String {
        let outbox = self.get("/outbox").await.body;
        let body = &outbox[outbox.find("<pre class=\"body\">").expect("a message")..];
        let digits: String = body
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        assert_eq!(digits.len(), 6, "a code in {body}");
        digits
    }
}

/// The value of the attribute `name` of the element with `id`.
fn attribute(body: &str, id: &str, name: &str) -> String {
    let element = &body[body.find(&format!("id=\"{id}\"")).expect("the element")..];
    let value =
        &element[element.find(&format!("{name}=\"")).expect("the attribute") + name.len() + 2..];
    value[..value.find('"').expect("closed")].replace("&amp;", "&")
}

#[tokio::test]
async fn sign_in_with_a_password_and_refusals_in_words() {
    let mut browser = Browser::new().await;
    let wrong = browser.post("/login", "username=dave&password=nope").await;
    assert_eq!(
        (wrong.status, wrong.location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let page = browser.get("/login").await;
    assert_eq!(page.message(), Some("Wrong user name or password."));

    let right = browser
        .post("/login", "username=dave&password=dave-demo-pw")
        .await;
    assert_eq!(right.location, "/");
    let home = browser.get("/").await;
    assert!(
        home.body
            .contains("<dd id=\"protection-status\" class=\"off\">Off</dd>"),
        "{}",
        home.body
    );
    assert!(home.body.contains("id=\"protect\""));

    // Nothing to confirm yet: the enrollment refuses in words, not a debug string.
    let refused = browser
        .post("/protection/setup", "method=totp&identity=email")
        .await;
    assert_eq!(refused.location, "/protection/setup");
    let page = browser.get("/protection/setup").await;
    assert_eq!(
        page.message(),
        Some("Choose at least one scenario to protect, each at most once.")
    );
}

/// Sessions are rows of the console's database: a restart (a new console
/// on the same file and keys) keeps the user signed in.
#[tokio::test]
async fn a_session_survives_a_restart() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("console.db").display());
    let (oob, sealing) = (
        mfa::OobKey::generate().expect("a key"),
        mfa::SealingKey::generate(1).expect("a key"),
    );
    let keys = || crate::keys::Keys {
        oob: oob.clone(),
        sealing: sealing.clone(),
    };
    let mut first =
        Browser::with_keys(&url, tempfile::tempdir().expect("a directory"), keys()).await;
    assert_eq!(
        first
            .post("/login", "username=dave&password=dave-demo-pw")
            .await
            .location,
        "/"
    );
    let mut second = Browser::with_keys(&url, dir, keys()).await;
    second.cookie = first.cookie.clone();
    let home = second.get("/").await;
    assert_eq!(home.status, StatusCode::OK, "signed in after the restart");
    assert!(
        home.body
            .contains("<dd id=\"protection-status\" class=\"off\">Off</dd>")
    );
    // Signed out there, the session is gone for the first one too.
    second.post("/logout", "").await;
    assert_eq!(first.get("/").await.location, "/login");
}

#[tokio::test]
async fn totp_enrollment_sign_in_replay_recovery_code_critical_operation_and_turning_off() {
    totp_scenario(Browser::new().await).await;
}

/// The same on PostgreSQL (`MFA_POSTGRES_URL`, by default the local
/// server's `test` database), in a database of its own, dropped after.
#[tokio::test]
async fn the_same_on_postgresql() {
    use sqlx::Executor;
    let admin_url = std::env::var("MFA_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let admin = sqlx::PgPool::connect(&admin_url)
        .await
        .expect("PostgreSQL answers");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("mfa_console_unit_{}_{nanos}", std::process::id());
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("a database");
    let url = format!(
        "{}/{name}",
        admin_url.rsplit_once('/').expect("a URL with a database").0
    );
    let old = sqlx::PgPool::connect(&url).await.expect("the new database");
    old.execute(OLD_TABLE).await.expect("the old table");
    let browser = Browser::on(&url, tempfile::tempdir().expect("a directory")).await;
    let left: Option<String> = sqlx::query_scalar("SELECT to_regclass('console_sessions')::text")
        .fetch_one(&old)
        .await
        .expect("asked");
    assert_eq!(left, None, "the old session table is dropped");
    old.close().await;
    totp_scenario(browser).await;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .await
        .expect("dropped");
}

/// Turns protection on for the signed-in user (an authenticator app,
/// identity by e-mail): the key of the app, and the recovery codes' page.
async fn turn_on_totp(browser: &mut Browser) -> (mfa::Totp, Page) {
    browser
        .post(
            "/protection/setup",
            "scenario=log-on&method=totp&identity=email",
        )
        .await;
    browser.get("/protection/setup").await; // "We sent a code to …"
    let code = browser.last_code().await;
    let key = browser
        .post("/protection/identity", &format!("code={code}"))
        .await;
    let uri = mfa::KeyUri::parse(&attribute(&key.body, "otpauth", "href")).expect("a key URI");
    let app = uri.to_totp().expect("a TOTP key");
    let now = mfa::unix_now().expect("a clock");
    let code = app.generate(now).expect("a code").to_string();
    let codes = browser
        .post("/protection/confirm", &format!("code={code}"))
        .await;
    assert!(
        codes.body.contains("id=\"recovery-codes\""),
        "{}",
        codes.body
    );
    (app, codes)
}

/// A change of protection ends the user's other sessions and keeps the
/// one that made it, and says so there (WordPress/two-factor #577).
#[tokio::test]
async fn turning_protection_on_signs_the_other_sessions_out() {
    let mut here = Browser::new().await;
    let mut there = here.another();
    let mut bob = here.another();
    for (browser, user) in [(&mut here, "dave"), (&mut there, "dave"), (&mut bob, "bob")] {
        let signed_in = browser
            .post(
                "/login",
                &format!("username={user}&password={user}-demo-pw"),
            )
            .await;
        assert_eq!(signed_in.location, "/");
    }
    turn_on_totp(&mut here).await;
    assert_eq!(
        there.get("/").await.location,
        "/login",
        "the other session ended"
    );
    assert_eq!(
        bob.get("/").await.status,
        StatusCode::OK,
        "another user's stays"
    );
    let home = here.get("/").await;
    assert_eq!(home.status, StatusCode::OK, "this session stays");
    assert_eq!(home.message(), Some("Your other sessions were signed out."));
    assert!(
        home.body
            .contains("<dd id=\"protection-status\" class=\"on\">On</dd>")
    );

    // An administrator's reset ends all of the owner's sessions, and none of hers.
    let mut root = here.another();
    root.post("/login", "username=root&password=root-demo-pw")
        .await;
    let reset = root
        .post("/admin/reset", "user=dave&reason=lost+phone")
        .await;
    assert_eq!(reset.location, "/admin");
    assert_eq!(
        here.get("/").await.location,
        "/login",
        "the owner's session ended"
    );
    let admin = root.get("/admin").await;
    assert_eq!(admin.status, StatusCode::OK, "the administrator's stays");
    assert_eq!(
        admin.message(),
        Some("dave's protection is off, their sessions ended, and they were told.")
    );
}

/// Each text spends its number's SMS budget, across accounts, before it
/// goes to the outbox: with one text an hour for each number, a second
/// account binding the same phone is refused in words, and nothing is
/// sent to it.
#[tokio::test]
async fn a_text_over_its_numbers_budget_is_refused_and_not_sent() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("console.db").display());
    let oob = mfa::OobKey::generate().expect("a key");
    let keys = crate::keys::Keys {
        oob: oob.clone(),
        sealing: mfa::SealingKey::generate(1).expect("a key"),
    };
    let outbox = crate::outbox::Outbox::default();
    let sender = std::sync::Arc::new(outbox.clone());
    let mut mfa = crate::wiring::Console::open(&url, keys, sender)
        .await
        .expect("the store");
    let limit = mfa::BudgetLimits::PER_NUMBER.with_per_hour(1);
    mfa.budgets = mfa::SmsBudgets::new(oob).with_per_number(limit);
    let users = crate::users::Users::demo().expect("the users");
    let mut bob = Browser::serving(crate::app::App::new(mfa, outbox, users), dir).await;
    let mut dave = bob.another();
    let mut said = Vec::new();
    for (browser, user) in [(&mut bob, "bob"), (&mut dave, "dave")] {
        browser
            .post(
                "/login",
                &format!("username={user}&password={user}-demo-pw"),
            )
            .await;
        browser
            .post(
                "/protection/setup",
                "scenario=log-on&method=sms&identity=email",
            )
            .await;
        browser.get("/protection/setup").await;
        let code = browser.last_code().await;
        browser
            .post("/protection/identity", &format!("code={code}"))
            .await;
        browser.get("/protection/setup").await; // "Now type the phone number …"
        let sent = browser
            .post("/protection/phone", "phone=%2B447700900999")
            .await;
        assert_eq!(sent.location, "/protection/setup");
        said.push(
            browser
                .get("/protection/setup")
                .await
                .message()
                .map(str::to_owned),
        );
    }
    assert_eq!(
        said,
        [
            Some("We sent a code to +44 77…99.".to_owned()),
            Some("Too many codes were sent lately. A new one can be sent in 60 min.".to_owned())
        ]
    );
    let outbox = bob.get("/outbox").await.body;
    assert_eq!(
        outbox.matches("data-to=\"+447700900999\"").count(),
        1,
        "{outbox}"
    );
}

/// The value of the first `name="factor"` field after `marker` in `body`.
fn factor_after(body: &str, marker: &str) -> String {
    let rest = &body[body.find(marker).expect("the marker")..];
    let rest = &rest[rest.find("name=\"factor\" value=\"").expect("a factor") + 21..];
    rest[..rest.find('"').expect("closed")].to_owned()
}

/// Sets an authenticator app up on the setup page the check led to: its
/// key, then its code at `now`.
async fn set_app_up(browser: &mut Browser, now: u64) -> mfa::Totp {
    let key = browser.post("/protection/method", "method=totp").await;
    let uri = mfa::KeyUri::parse(&attribute(&key.body, "otpauth", "href")).expect("a key URI");
    let app = uri.to_totp().expect("a TOTP key");
    let code = app.generate(now).expect("a code");
    let done = browser
        .post("/protection/confirm", &format!("code={code}"))
        .await;
    assert_eq!(done.location, "/");
    app
}

/// The page after a factor's setup says what happened: a factor added is
/// added, not "your second factor is now …"; a factor's method changed is
/// changed; turning protection on shows the recovery codes.
#[tokio::test]
async fn the_end_of_a_setup_says_what_was_set_up() {
    let mut browser = Browser::new().await;
    browser
        .post("/login", "username=dave&password=dave-demo-pw")
        .await;
    let (first, codes) = turn_on_totp(&mut browser).await;
    assert_eq!(codes.message(), Some("Account protection is on."));
    let now = mfa::unix_now().expect("a clock");

    assert_eq!(
        browser.post("/factors/add", "name=Backup").await.location,
        "/verify"
    );
    let code = first.generate(now + 30).expect("a code");
    let checked = browser.post("/verify/code", &format!("code={code}")).await;
    assert_eq!(checked.location, "/protection/setup");
    let second = set_app_up(&mut browser, now).await;
    assert_eq!(
        browser.get("/").await.message(),
        Some("Added Backup: an authenticator app can sign you in too.")
    );

    let home = browser.get("/").await.body;
    let factor = factor_after(&home, "id=\"change-method\"");
    let asked = browser
        .post("/protection/change-method", &format!("factor={factor}"))
        .await;
    assert_eq!(asked.location, "/verify");
    let verify = browser.get("/verify").await.body;
    let other = factor_after(&verify, "action=\"/verify/choose\"");
    browser
        .post("/verify/choose", &format!("factor={other}"))
        .await;
    let code = second.generate(now + 30).expect("a code");
    let checked = browser.post("/verify/code", &format!("code={code}")).await;
    assert_eq!(checked.location, "/protection/setup");
    set_app_up(&mut browser, now).await;
    assert_eq!(
        browser.get("/").await.message(),
        Some("Changed: this factor now uses an authenticator app.")
    );
}

/// The session table of the earlier console, as it was created.
const OLD_TABLE: &str = "CREATE TABLE console_sessions \
     (id TEXT PRIMARY KEY, record TEXT NOT NULL, expires BIGINT NOT NULL)";

/// The earlier console's session table (`console_sessions`, replaced by
/// `console_user_sessions`) is dropped at start-up (on PostgreSQL: in
/// `the_same_on_postgresql`).
#[tokio::test]
async fn the_old_session_table_is_dropped() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("console.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let old = sqlx::SqlitePool::connect(&url).await.expect("the file");
    sqlx::query(OLD_TABLE)
        .execute(&old)
        .await
        .expect("the old table");
    let url = format!("sqlite://{}", file.display());
    let _browser = Browser::on(&url, tempfile::tempdir().expect("a directory")).await;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&old)
            .await
            .expect("the tables");
    assert!(
        tables.contains(&"console_user_sessions".to_owned()),
        "{tables:?}"
    );
    assert!(
        !tables.contains(&"console_sessions".to_owned()),
        "{tables:?}"
    );
}

async fn totp_scenario(mut browser: Browser) {
    assert_eq!(
        browser
            .post("/login", "username=ada&password=ada-demo-pw")
            .await
            .location,
        "/"
    );

    // Identity by e-mail, then the key: QR code, secret, otpauth URI.
    let sent = browser
        .post(
            "/protection/setup",
            "scenario=log-on&scenario=critical&method=totp&identity=email",
        )
        .await;
    assert_eq!(sent.location, "/protection/setup");
    let page = browser.get("/protection/setup").await;
    assert_eq!(page.message(), Some("We sent a code to ada@example.com."));
    let code = browser.last_code().await;
    let key = browser
        .post("/protection/identity", &format!("code={code}"))
        .await;
    assert_eq!(key.status, StatusCode::OK);
    assert!(key.body.contains("<div id=\"qr\"><svg"));
    let uri = mfa::KeyUri::parse(&attribute(&key.body, "otpauth", "href")).expect("a key URI");
    let secret = uri.secret().expose_base32();
    let grouped: Vec<&str> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("Base32"))
        .collect();
    assert!(
        key.body
            .contains(&format!("<span id=\"secret\">{}</span>", grouped.join(" ")))
    );
    let app = uri.to_totp().expect("a TOTP key");

    // A wrong code, then the app's code: recovery codes, once.
    let now = mfa::unix_now().expect("a clock");
    let right = app.generate(now).expect("a code").to_string();
    let wrong = format!(
        "{:06}",
        (right.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    assert_eq!(
        browser
            .post("/protection/confirm", &format!("code={wrong}"))
            .await
            .location,
        "/protection/setup"
    );
    assert_eq!(
        browser.get("/protection/setup").await.message(),
        Some("Wrong code. Check it and try again.")
    );
    let codes = browser
        .post("/protection/confirm", &format!("code={right}"))
        .await;
    assert!(
        codes.body.contains("id=\"recovery-codes\""),
        "{}",
        codes.body
    );
    let recovery: Vec<String> = codes
        .body
        .split("<li>")
        .skip(1)
        .map(|li| li[..li.find('<').expect("closed")].to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    let home = browser.get("/").await.body;
    assert!(home.contains("<dd id=\"protection-status\" class=\"on\">On</dd>"));
    assert!(home.contains("<dd id=\"protection-scenarios\">Log-on, Critical operations</dd>"));

    // Sign-in: challenged; the next step's code passes once, then is a replay.
    browser.post("/logout", "").await;
    assert_eq!(
        browser
            .post("/login", "username=ada&password=ada-demo-pw")
            .await
            .location,
        "/verify"
    );
    let next = app.generate(now + 30).expect("a code").to_string();
    assert_eq!(
        browser
            .post("/verify/code", &format!("code={next}"))
            .await
            .location,
        "/"
    );
    browser.post("/logout", "").await;
    browser
        .post("/login", "username=ada&password=ada-demo-pw")
        .await;
    assert_eq!(
        browser
            .post("/verify/code", &format!("code={next}"))
            .await
            .location,
        "/verify"
    );
    assert_eq!(
        browser.get("/verify").await.message(),
        Some("Wrong code. Check it and try again.")
    );
    let used = browser
        .post(
            "/verify/recovery",
            &format!("recovery_code={}", recovery[0]),
        )
        .await;
    assert_eq!(used.location, "/");

    // A critical operation asks for a check (a recovery code here).
    assert_eq!(
        browser
            .post("/resources/delete", "resource=build-cache")
            .await
            .location,
        "/verify"
    );
    assert!(
        browser
            .get("/verify")
            .await
            .body
            .contains("to delete build-cache")
    );
    browser
        .post(
            "/verify/recovery",
            &format!("recovery_code={}", recovery[1]),
        )
        .await;
    assert_eq!(
        browser.get("/resources").await.message(),
        Some("Deleted build-cache.")
    );

    // Turning off asks for a fresh check too; then it is off, and said in the outbox.
    assert_eq!(
        browser.post("/protection/turn-off", "").await.location,
        "/verify"
    );
    assert_eq!(
        browser
            .post(
                "/verify/recovery",
                &format!("recovery_code={}", recovery[2])
            )
            .await
            .location,
        "/"
    );
    assert!(
        browser
            .get("/")
            .await
            .body
            .contains("<dd id=\"protection-status\" class=\"off\">Off</dd>")
    );
    let outbox = browser.get("/outbox").await.body;
    for subject in [
        "Account protection is off",
        "A recovery code was used",
        "Account protection is on",
    ] {
        assert!(outbox.contains(subject), "{subject} in the outbox");
    }
}

/// Code lines: neither blank nor a comment.
fn code_lines(source: &str) -> Vec<&str> {
    source
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect()
}

/// What in a handler wires the crate: a call to the runner (`app.run`,
/// or `answer`, which runs a check's step through it), an account's load
/// (`mfa::load`), a check's authorisation (`.authorize(`), the store
/// set-up's call (`Console::open`), and what a page takes from a run's
/// effects (`.key()`, `.recovery_codes()`, `.sent_to()`,
/// `.ends_other_sessions()`, which ends the other sessions), and what a
/// run's texts spend (`.spend_budgets(`, and `Effect::Deliver`: none sent).
fn wires(line: &str) -> bool {
    [
        "app.run(",
        "mfa::load",
        ".authorize(",
        "Console::open(",
        ".key()",
        ".recovery_codes()",
        ".sent_to()",
        ".ends_other_sessions()",
        ".spend_budgets(",
        "Effect::Deliver",
    ]
    .iter()
    .any(|m| line.contains(m))
        || line.starts_with(".run(")
        || line.starts_with("answer(&app")
}

/// The statements of `source` that wire the crate, and their lines: each
/// statement whole, from the line that starts it to the one that ends it
/// (its brackets closed), as rustfmt wraps it.
fn calls(source: &[&str]) -> (usize, usize) {
    let ends =
        |l: &str| l.ends_with(';') || l.ends_with('{') || l.ends_with('}') || l.ends_with(',');
    let depth = |l: &str| {
        let opened = l.matches(['(', '[']).count();
        let closed = l.matches([')', ']']).count();
        isize::try_from(opened).unwrap() - isize::try_from(closed).unwrap()
    };
    let mut counted = vec![false; source.len()];
    let mut statements = 0;
    for (i, line) in source.iter().enumerate() {
        if !wires(line) || counted[i] {
            continue;
        }
        statements += 1;
        let mut start = i;
        while start > 0 && !ends(source[start - 1]) {
            start -= 1;
        }
        let (mut end, mut open) = (start, depth(source[start]));
        while end + 1 < source.len()
            && (open > 0 || !(ends(source[end]) || source[end].ends_with(".await")))
        {
            end += 1;
            open += depth(source[end]);
        }
        counted[start..=end].iter_mut().for_each(|c| *c = true);
    }
    (statements, counted.iter().filter(|c| **c).count())
}

/// The glue, counted whole, in two parts by the same rules. The console of
/// issue 10 (sign-in, enrollment, checks, changes): `src/wiring.rs` (the
/// store set-up and the flows, the runner with its deliveries and notices
/// carried out, the refusals in words), and every statement of the
/// handlers (`src/app.rs`) and of the start-up (`src/main.rs`) that calls
/// the runner, loads an account, authorises a check, opens the store or
/// takes something from a run's effects, as rustfmt wraps it; it stays
/// under 100, issue 9's bar. The account lifecycle of issue 13
/// (`src/lifecycle.rs`: remembered browsers, the admin reset, the
/// factors), counted the same way, with its own bound. The README says
/// both and the total.
#[test]
fn glue_is_counted() {
    let wiring = code_lines(include_str!("wiring.rs")).len();
    let (handlers, handler_lines) = calls(&code_lines(include_str!("app.rs")));
    let (start, start_lines) = calls(&code_lines(include_str!("main.rs")));
    let (statements, lines) = (handlers + start, handler_lines + start_lines);
    assert!(
        handlers >= 24 && start == 1,
        "{handlers} statements in the handlers and {start} at start-up: the count is broken"
    );
    let glue = wiring + lines;
    assert!(
        glue < 100,
        "the glue is {glue} lines ({wiring} in src/wiring.rs, {lines} in {statements} statements); the bar is under 100"
    );
    let (later, later_lines) = calls(&code_lines(include_str!("lifecycle.rs")));
    assert!(
        later >= 3,
        "{later} statements in src/lifecycle.rs: the count is broken"
    );
    assert!(
        later_lines < LIFECYCLE_BAR,
        "the lifecycle's glue is {later_lines} lines in {later} statements; the bound is under {LIFECYCLE_BAR}"
    );
    let readme = include_str!("../../../README.md");
    let section = &readme[readme
        .find("## The reference console")
        .expect("the README's console section")..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];
    let section = section.split_whitespace().collect::<Vec<_>>().join(" "); // wrapped anywhere
    let total = glue + later_lines;
    let said = format!(
        "{wiring} lines of `src/wiring.rs` and {statements} statements that call it or the crate, {lines} lines as rustfmt wraps them: {glue} lines of glue for the console of issue 10; {later_lines} more lines in {later} statements of `src/lifecycle.rs` for the account lifecycle of issue 13 ({LIFECYCLE}): {total} lines in all"
    );
    assert!(
        section.contains(&said),
        "the README's console section says `{said}`"
    );
}

/// The bound on the lifecycle's glue: room for its pages, not for
/// carelessness.
const LIFECYCLE_BAR: usize = 60;

/// What the lifecycle part holds, as the README says it.
const LIFECYCLE: &str = "remembered browsers, adding, renaming, removing and choosing factors, the admin reset, \
     the other sessions ended, the SMS budgets";

/// The count sees what it must: a wrapped runner call is counted whole,
/// and a line that does not wire the crate is not.
#[test]
fn the_glue_count_counts_whole_statements() {
    let source = [
        "let done = app",
        ".run(&user, |f, a| Verification::step_up(f, a, now))",
        ".await;",
        "data.flash = None;",
        "let account = mfa::load(&app.mfa.store, user.name.as_str()).await;",
        "if let Some(key) = done.key() {",
        "return show(session, &data, page).await;",
        "}",
    ];
    assert_eq!(calls(&source), (3, 5));
}

/// The handlers the README's wiring section shows (its `rs` blocks) are
/// the console's own, copied verbatim: each block is found, line for line,
/// in `src/wiring.rs`, `src/app.rs` or `src/lifecycle.rs` (indentation aside).
#[test]
fn the_readme_shows_the_console_as_it_is() {
    let readme = include_str!("../../../README.md");
    let sources = [
        include_str!("wiring.rs"),
        include_str!("app.rs"),
        include_str!("lifecycle.rs"),
    ];
    let trimmed = |text: &str| text.lines().map(str::trim).collect::<Vec<_>>().join("\n");
    let sources = sources.map(trimmed);
    let blocks: Vec<&str> = readme
        .split("```rs\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .collect();
    assert!(
        blocks.len() >= 3,
        "the README shows {} handler excerpts",
        blocks.len()
    );
    for block in blocks {
        let block = trimmed(block);
        assert!(
            sources.iter().any(|source| source.contains(&block)),
            "this README excerpt is not in the console's source:\n{block}"
        );
    }
}

/// The development outbox shows every code: the console listens on a
/// loopback address only while it is the sender.
#[test]
fn the_outbox_is_served_on_loopback_only() {
    for addr in ["127.0.0.1:8080", "[::1]:0", "127.0.0.2:80"] {
        let addr = addr.parse().unwrap();
        assert!(crate::outbox_may_listen_on(addr).is_ok(), "{addr}");
    }
    for addr in ["0.0.0.0:8080", "[::]:8080", "192.168.1.20:80", "8.8.8.8:80"] {
        let refusal = crate::outbox_may_listen_on(addr.parse().unwrap())
            .expect_err(addr)
            .to_string();
        assert!(
            refusal.contains(addr) && refusal.contains("shows every user's"),
            "{refusal}"
        );
    }
}

/// The outbox page masks a phone in its text (as the other pages do) and
/// keeps it whole in `data-to`, where the browser test finds its texts.
#[test]
fn the_outbox_page_masks_phones() {
    let message = crate::outbox::Message {
        to: mfa::Destination::sms("+447700900123").unwrap(),
        subject: String::new(),
        body: "123456 is your Example Co code.".into(),
    };
    let page = crate::pages::outbox(&[message]).into_string();
    assert!(page.contains("data-to=\"+447700900123\""), "{page}");
    assert_eq!(page.matches("+447700900123").count(), 1, "{page}");
    assert!(page.contains("SMS to +44 77…23"), "{page}");
}

/// The account page says how many recovery codes are left, and warns at
/// `FEW_RECOVERY_CODES` (3) or fewer, most loudly at none.
#[test]
fn few_recovery_codes_left_warn() {
    use crate::pages::{FEW_RECOVERY_CODES, recovery_codes_left};
    assert_eq!(FEW_RECOVERY_CODES, 3);
    assert_eq!(
        recovery_codes_left(7, 10),
        ("7 of 10 recovery codes left".to_owned(), None)
    );
    assert_eq!(recovery_codes_left(4, 10).1, None);
    let few = recovery_codes_left(3, 10).1.expect("3 left warns");
    assert!(few.starts_with("Few left"), "{few}");
    assert_eq!(recovery_codes_left(1, 10).1, Some(few));
    let none = recovery_codes_left(0, 10).1.expect("none left warns");
    assert!(none.starts_with("None left"), "{none}");
}

/// `--help` never prints `DATABASE_URL`'s value (it may hold a password).
#[test]
fn help_hides_the_database_url() {
    use clap::CommandFactory as _;
    let command = crate::Args::command();
    let database = command
        .get_arguments()
        .find(|a| a.get_id() == "database")
        .unwrap();
    assert_eq!(
        database.get_env().and_then(|e| e.to_str()),
        Some("DATABASE_URL")
    );
    assert!(database.is_hide_env_values_set());
}

/// The session table of a console started on a new SQLite file in `dir`.
async fn sessions_on_a_file(dir: &std::path::Path) -> crate::sessions::SqlSessions {
    let url = format!("sqlite://{}", dir.join("console.db").display());
    let keys = crate::keys::Keys {
        oob: mfa::OobKey::generate().unwrap(),
        sealing: mfa::SealingKey::generate(1).unwrap(),
    };
    let app = crate::console(&url, keys).await.unwrap();
    crate::sessions::SqlSessions::new(&app.mfa.store)
        .await
        .unwrap()
}

/// The session table keeps the SHA-256 of each id, never the id (the
/// cookie's value); a new session never takes the id it came with.
#[tokio::test]
async fn sessions_are_kept_by_the_hash_of_their_id() {
    use tower_sessions::SessionStore as _;
    use tower_sessions::cookie::time::{Duration, OffsetDateTime};
    use tower_sessions::session::{Id, Record};
    let dir = tempfile::tempdir().unwrap();
    let sessions = sessions_on_a_file(dir.path()).await;
    let crate::sessions::SqlSessions::Sqlite(pool) = &sessions else {
        panic!("SQLite")
    };
    let chosen = Id(42);
    let mut record = Record {
        id: chosen,
        data: [("user".to_owned(), serde_json::json!("alice"))].into(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    };
    sessions.create(&mut record).await.unwrap();
    let id = record.id;
    assert_ne!(id, chosen, "a fresh id, not the one the record came with");
    assert_eq!(sessions.load(&chosen).await.unwrap(), None);
    assert_eq!(sessions.load(&id).await.unwrap(), Some(record.clone()));
    record.data.insert("step".into(), serde_json::json!(2));
    sessions.save(&record).await.unwrap();
    assert_eq!(sessions.load(&id).await.unwrap(), Some(record.clone()));

    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, record FROM console_user_sessions")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    let (key, json) = &rows[0];
    let cookie = id.to_string();
    let number = id.0.to_string();
    assert!(
        key.len() == 64 && key.chars().all(|c| c.is_ascii_hexdigit()),
        "{key}"
    );
    for clear in [&cookie, &number] {
        assert!(
            !key.contains(clear.as_str()) && !json.contains(clear.as_str()),
            "{rows:?}"
        );
    }

    sessions.delete(&id).await.unwrap();
    assert_eq!(sessions.load(&id).await.unwrap(), None);
}

/// A session ended while a request of it was under way is not brought
/// back when that request saves it: saving writes an existing row only.
#[tokio::test]
async fn an_ended_session_stays_ended_when_saved() {
    use tower_sessions::SessionStore as _;
    use tower_sessions::cookie::time::{Duration, OffsetDateTime};
    use tower_sessions::session::{Id, Record};
    let dir = tempfile::tempdir().unwrap();
    let sessions = sessions_on_a_file(dir.path()).await;
    let data = serde_json::json!({ "user": "dave" });
    let mut record = Record {
        id: Id::default(),
        data: [(crate::app::KEY.to_owned(), data)].into(),
        expiry_date: OffsetDateTime::now_utc() + Duration::hours(1),
    };
    sessions.create(&mut record).await.unwrap();
    let mut kept = Record {
        id: Id::default(),
        ..record.clone()
    };
    sessions.create(&mut kept).await.unwrap();
    assert_eq!(
        sessions
            .end_others_of("dave", Some(&kept.id))
            .await
            .unwrap(),
        1
    );
    sessions.save(&record).await.unwrap(); // its request ends after
    assert_eq!(sessions.load(&record.id).await.unwrap(), None);
    assert_eq!(sessions.load(&kept.id).await.unwrap(), Some(kept));
}

/// The console creates its SQLite file readable by its owner only.
#[cfg(unix)]
#[tokio::test]
async fn the_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("console.db");
    let keys = crate::keys::Keys {
        oob: mfa::OobKey::generate().unwrap(),
        sealing: mfa::SealingKey::generate(1).unwrap(),
    };
    let url = format!("sqlite://{}", file.display());
    let _app = crate::console(&url, keys).await.unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

/// A form posted from another site is refused in words (`Origin` not the
/// console's own, or `Sec-Fetch-Site` saying so); from the console itself,
/// or without either header (not a browser), it goes through.
#[tokio::test]
async fn posts_from_another_site_are_refused() {
    let mut browser = Browser::new().await;
    let form = "username=dave&password=dave-demo-pw";
    let from = |headers: &[(&str, &str)]| {
        let mut request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "console.test:8080");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    };
    for evil in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "http://console.test:8081")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![
            ("origin", "http://console.test:8080"),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let page = browser.send(from(&evil), form.to_owned()).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{evil:?}");
        assert!(
            page.body.contains("sent from another site"),
            "{}",
            page.body
        );
        assert_eq!(page.headers["cache-control"], "no-store");
        assert!(browser.cookie.is_none(), "{evil:?} signed in");
    }
    // The console's own form, as a browser posts it (`Origin: null` under
    // `Referrer-Policy: no-referrer`, `Sec-Fetch-Site` saying it is ours).
    for own in [
        [
            ("origin", "http://console.test:8080"),
            ("sec-fetch-site", "same-origin"),
        ],
        [("origin", "null"), ("sec-fetch-site", "same-origin")],
    ] {
        browser.cookie = None;
        let page = browser.send(from(&own), form.to_owned()).await;
        assert_eq!(
            (page.status, page.location.as_str()),
            (StatusCode::SEE_OTHER, "/"),
            "{own:?}"
        );
    }
    let home = browser.get("/").await;
    assert!(
        home.body.contains("id=\"protection-status\""),
        "{}",
        home.body
    );
}

/// Every response carries the security headers: nothing cached, no script
/// or framing, no referrer, no sniffing.
#[tokio::test]
async fn responses_carry_the_security_headers() {
    let mut browser = Browser::new().await;
    let login = browser.get("/login").await;
    let wrong = browser.post("/login", "username=dave&password=nope").await;
    let missing = browser.get("/no-such-page").await;
    for page in [&login, &wrong, &missing] {
        let headers = &page.headers;
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(
            headers["content-security-policy"],
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        );
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
}
