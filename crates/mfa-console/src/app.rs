//! The routes and handlers: sessions in, pages out. Flow operations run
//! through the runner of [`crate::wiring`] (`app.run`); pages load an account
//! with `mfa::load`, and a deletion authorises its check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mfa::{
    Awaiting, Destination, Either, Enrollment, FactorId, Flows, PhoneNumber, Ran, Scenario,
    Verification, Verified,
};
use serde::{Deserialize, Serialize};
use tower_sessions::{Session, SessionManagerLayer};

use crate::outbox::Outbox;
use crate::pages::{self, Flash};
use crate::sessions::SqlSessions;
use crate::users::{User, Users};
use crate::wiring::{Account, Console, Factor, Record, say};

/// What a check is for: what happens once it passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum After {
    /// Signing in.
    LogOn,
    /// Deleting this resource.
    Delete(String),
    /// Changing this factor's method.
    ChangeMethod(FactorId),
    /// New recovery codes.
    Regenerate,
    /// Turning protection off.
    TurnOff,
    /// Adding a factor with this name.
    Add(mfa::FactorName),
    /// Renaming this factor.
    Rename(FactorId, mfa::FactorName),
    /// Removing this factor.
    Remove(FactorId),
}

/// The method chosen when turning protection on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Method {
    Totp,
    Sms,
}

/// What the session keeps: who is signed in, the flow states (tagged by
/// the crate, no secret in them) and the message for the next page.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Data {
    user: Option<String>,
    /// Password checked, log-on check pending.
    pending_user: Option<String>,
    enrollment: Option<Enrollment>,
    /// What the enrollment does after a fresh check (adds a factor, or
    /// changes one's method); `None`: it turns protection on.
    changing: Option<After>,
    method: Option<Method>,
    check: Option<Verification>,
    after: Option<After>,
    verified: Option<Verified>,
    /// "Remember this browser" ticked with the log-on code.
    remember: bool,
    flash: Option<Flash>,
}

/// The session key of the console's data ([`Data`]).
pub(crate) const KEY: &str = "console";

/// The cookie of a remembered browser: its device token.
const DEVICE_COOKIE: &str = "device";

/// Whether cookies are sent over HTTPS only: not while the console
/// listens on a loopback address (the only kind it accepts, `main.rs`).
const SECURE: bool = false;

/// The scenario of signing in.
const LOG_ON: Scenario = Scenario::LogOn;

/// The scenario of deleting a resource.
const CRITICAL: Scenario = Scenario::CriticalOperation;

/// The console's shared state.
#[derive(Clone)]
pub struct App(Arc<Inner>);

/// What the handlers share.
pub struct Inner {
    /// The flows, the store and the sender: every call on the crate.
    pub mfa: Console,
    /// The development outbox (what `/outbox` shows).
    pub outbox: Outbox,
    /// The users.
    pub users: Arc<Users>,
    /// Each user's demo resources.
    resources: Mutex<HashMap<String, Vec<String>>>,
}

impl std::ops::Deref for App {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// The console over `store`, sending through `outbox`.
    pub fn new(mfa: Console, outbox: Outbox, users: Users) -> Self {
        Self(Arc::new(Inner {
            mfa,
            outbox,
            users: Arc::new(users),
            resources: Mutex::new(HashMap::new()),
        }))
    }

    /// The routes, with sessions kept in `sessions`.
    pub fn router(self, sessions: SqlSessions) -> Router {
        let layer = SessionManagerLayer::new(sessions.clone())
            .with_secure(SECURE)
            .with_same_site(tower_sessions::cookie::SameSite::Lax)
            .with_expiry(tower_sessions::Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::hours(1),
            ))
            .with_name("console");
        let routes = Router::new()
            .route("/", get(home))
            .route("/login", get(login_page).post(login))
            .route("/logout", post(logout))
            .route("/outbox", get(outbox))
            .route("/protection/setup", get(setup_page).post(setup_start))
            .route("/protection/identity", post(identity))
            .route("/protection/phone", post(phone))
            .route("/protection/method", post(method))
            .route("/protection/confirm", post(confirm))
            .route("/protection/resend", post(resend))
            .route("/protection/cancel", post(cancel))
            .route("/protection/change-method", post(change_method))
            .route("/protection/regenerate-recovery-codes", post(regenerate))
            .route("/protection/turn-off", post(turn_off))
            .route("/verify", get(verify_page))
            .route("/verify/code", post(verify_code))
            .route("/verify/send", post(verify_send))
            .route("/verify/choose", post(verify_choose))
            .route("/verify/recovery", post(verify_recovery))
            .route("/devices/forget", post(forget_device))
            .route("/factors/add", post(add_factor))
            .route("/factors/rename", post(rename_factor))
            .route("/factors/remove", post(remove_factor))
            .route("/admin", get(admin_page))
            .route("/admin/reset", post(admin_reset))
            .route("/resources", get(resources))
            .route("/resources/delete", post(delete_resource))
            .layer(axum::middleware::from_fn_with_state(
                sessions.clone(),
                keeping_this_session,
            ))
            .layer(layer)
            .with_state(self);
        crate::security::harden(routes)
    }

    fn user(&self, name: Option<&str>) -> Option<User> {
        name.and_then(|n| self.users.get(n)).cloned()
    }

    fn resources_of(&self, user: &User) -> Vec<String> {
        let mut all = self
            .0
            .resources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.entry(user.name.clone())
            .or_insert_with(|| {
                ["staging-db", "build-cache", "old-logs-bucket"]
                    .map(String::from)
                    .to_vec()
            })
            .clone()
    }

    fn delete(&self, user: &User, name: &str) -> bool {
        let _ = self.resources_of(user);
        let mut all = self
            .0
            .resources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.get_mut(&user.name).is_some_and(|list| {
            let before = list.len();
            list.retain(|r| r != name);
            list.len() != before
        })
    }
}

/// What the next page says when a change ended the user's other sessions.
const OTHERS_ENDED: &str = "Your other sessions were signed out.";

/// Handles a request with its session known to the runner, which ends a
/// user's other sessions but this one ([`crate::sessions::keeping`]); when
/// it ended this user's own, the next page says so.
async fn keeping_this_session(
    State(sessions): State<SqlSessions>,
    session: Session,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Page {
    let handled = crate::sessions::keeping(sessions, session.clone(), next.run(request));
    let (answer, ended) = handled.await;
    let Some(ended) = ended else {
        return Ok(answer);
    };
    let mut data = load(&session).await?;
    if data.user.as_ref() == Some(&ended) {
        let flash = data.flash.take().unwrap_or_else(|| Flash::info(""));
        let text = format!("{} {OTHERS_ENDED}", flash.text)
            .trim_start()
            .to_owned();
        data.flash = Some(Flash { text, ..flash });
        session.insert(KEY, &data).await?;
    }
    Ok(answer)
}

/// A failure of the console itself (the session store, the clock).
#[derive(Debug)]
struct Fail(String);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        eprintln!("console: {}", self.0);
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Try again.",
        )
            .into_response()
    }
}

impl From<tower_sessions::session::Error> for Fail {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self(format!("session: {e}"))
    }
}

type Page = Result<Response, Fail>;

async fn load(session: &Session) -> Result<Data, Fail> {
    Ok(session.get::<Data>(KEY).await?.unwrap_or_default())
}

/// Saves the session, then sends the browser to `to`.
async fn go(session: &Session, data: &Data, to: &str) -> Page {
    session.insert(KEY, data).await?;
    Ok(Redirect::to(to).into_response())
}

/// Saves the session, then shows `page`.
async fn show(session: &Session, data: &Data, page: maud::Markup) -> Page {
    session.insert(KEY, data).await?;
    Ok(page.into_response())
}

fn now() -> Result<u64, Fail> {
    mfa::unix_now().map_err(|e| Fail(format!("clock: {e}")))
}

/// A form's fields, repeated names kept (the scenario checkboxes).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &Bytes) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    fn get<'a>(&'a self, name: &'a str) -> &'a str {
        self.all(name).next().unwrap_or_default()
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }
}

/// "We sent a code to …", for the page after a code went out.
fn we_sent<S>(done: &Ran<S>, new: bool) -> Flash {
    let to = match done.sent_to() {
        Some(Destination::Sms(phone)) => pages::masked(phone.as_str()),
        Some(other) => other.to_string(),
        None => "you".to_owned(),
    };
    Flash::info(format!(
        "We sent a {}code to {to}.",
        if new { "new " } else { "" }
    ))
}

// ---- sign-in ----

async fn login_page(session: Session) -> Page {
    let mut data = load(&session).await?;
    let flash = data.flash.take();
    show(&session, &data, pages::login(flash.as_ref())).await
}

async fn login(State(app): State<App>, session: Session, headers: HeaderMap, body: Bytes) -> Page {
    let f = Fields::parse(&body);
    let (name, password) = (f.get("username").to_owned(), f.get("password").to_owned());
    let users = app.users.clone();
    let found = tokio::task::spawn_blocking(move || users.sign_in(&name, &password).cloned())
        .await
        .map_err(|e| Fail(e.to_string()))?;
    let Some(user) = found else {
        let data = Data {
            flash: Some(Flash::error("Wrong user name or password.")),
            ..Data::default()
        };
        return go(&session, &data, "/login").await;
    };
    session.cycle_id().await?;
    let (now, device) = (now()?, remembered(&headers));
    let d = device.as_ref();
    let done = app
        .run(&user, |f, a| {
            Verification::start_trusted(f, a, LOG_ON, d, None, now)
        })
        .await;
    let mut data = Data::default();
    match done.state {
        Some(check) if check.is_done() => {
            data.user = Some(user.name);
            go(&session, &data, "/").await
        }
        Some(check) => {
            data.pending_user = Some(user.name);
            data.check = Some(check);
            data.after = Some(After::LogOn);
            data.flash = done.result.err().map(|e| Flash::error(say(&e)));
            go(&session, &data, "/verify").await
        }
        None => {
            data.flash = Some(Flash::error(
                done.result.err().map_or_else(String::new, |e| say(&e)),
            ));
            go(&session, &data, "/login").await
        }
    }
}

async fn logout(session: Session) -> Page {
    session.flush().await?;
    let data = Data {
        flash: Some(Flash::info("You are signed out.")),
        ..Data::default()
    };
    go(&session, &data, "/login").await
}

async fn outbox(State(app): State<App>) -> Response {
    pages::outbox(&app.outbox.newest_first()).into_response()
}

/// The signed-in user, or a redirect to the sign-in page.
macro_rules! signed_in {
    ($app:expr, $data:expr) => {
        match $app.user($data.user.as_deref()) {
            Some(user) => user,
            None => return Ok(Redirect::to("/login").into_response()),
        }
    };
}

// The account lifecycle of issue 13, its glue counted on its own.
#[path = "lifecycle.rs"]
mod lifecycle;
use lifecycle::{
    add_factor, admin_page, admin_reset, factor_changed, forget_device, remember, remembered,
    remove_factor, rename_factor, verify_choose,
};

async fn home(State(app): State<App>, session: Session) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let flash = data.flash.take();
    let page = match mfa::load(&app.mfa.store, user.name.as_str()).await {
        Ok(account) => pages::home(&user, &account, now()?, flash.as_ref()),
        Err(e) => pages::login(Some(&Flash::error(say(&e)))),
    };
    show(&session, &data, page).await
}

// ---- turning protection on, changing the factor ----

async fn setup_page(State(app): State<App>, session: Session) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let flash = data.flash.take();
    let flash = flash.as_ref();
    let page = match &data.enrollment {
        None => match mfa::load::<_, Record>(&app.mfa.store, user.name.as_str()).await {
            Ok(account) if account.is_on() => return go(&session, &data, "/").await,
            _ => pages::setup_form(&user, flash),
        },
        Some(e) => match e.awaiting() {
            Awaiting::IdentityCode { contact } => pages::identity_form(&user, contact, flash),
            Awaiting::Setup { .. } if data.method == Some(Method::Sms) => {
                pages::phone_form(&user, flash)
            }
            Awaiting::Setup { .. } => pages::method_form(&user, flash),
            Awaiting::BindingCode { to } => pages::confirm_page(&user, Some(to), flash),
            Awaiting::Codes { .. } => pages::confirm_page(&user, None, flash),
            _ => {
                data.enrollment = None;
                return go(&session, &data, "/").await;
            }
        },
    };
    show(&session, &data, page).await
}

async fn setup_start(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let f = Fields::parse(&body);
    let asked: Vec<Scenario> = f
        .all("scenario")
        .filter_map(|s| match s {
            "log-on" => Some(Scenario::LogOn),
            "critical" => Some(Scenario::CriticalOperation),
            _ => None,
        })
        .collect();
    let method = if f.get("method") == "sms" {
        Method::Sms
    } else {
        Method::Totp
    };
    let to = if f.get("identity") == "phone" {
        user.phone.clone()
    } else {
        Some(user.email.clone())
    };
    let Some(to) = to else {
        data.flash = Some(Flash::error(
            "No phone is bound to your account: confirm it is you by e-mail.",
        ));
        return go(&session, &data, "/protection/setup").await;
    };
    let (known, now) = (user.contacts(), now()?);
    let done = app
        .run(&user, |f, a| {
            Enrollment::start(f, a, &asked, &known, &to, now)
        })
        .await;
    data.flash = Some(match done.result {
        Ok(()) => we_sent(&done, false),
        Err(e) => Flash::error(say(&e)),
    });
    if done.state.is_some() {
        data.enrollment = done.state;
        data.changing = None;
        data.method = Some(method);
    }
    go(&session, &data, "/protection/setup").await
}

async fn identity(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let Some(e) = data.enrollment.clone() else {
        return go(&session, &data, "/protection/setup").await;
    };
    let by_phone = matches!(
        e.awaiting(),
        Awaiting::IdentityCode {
            contact: Destination::Sms(_)
        }
    );
    let (code, now) = (Fields::parse(&body).get("code").to_owned(), now()?);
    let done = app
        .run(&user, |f, a| e.verify_identity(f, a, &code, now))
        .await;
    let (Ok(()), Some(e)) = (done.result.clone(), done.state) else {
        data.flash = done.result.err().map(|e| Flash::error(say(&e)));
        return go(&session, &data, "/protection/setup").await;
    };
    data.enrollment = Some(e.clone());
    match (data.method, &user.phone) {
        (Some(Method::Sms), Some(Destination::Sms(phone))) if by_phone => {
            let phone = phone.clone();
            setup(&app, &session, data, &user, e, Either::Second(phone)).await
        }
        (Some(Method::Sms), _) => {
            data.flash = Some(Flash::info(
                "Confirmed. Now type the phone number we should text your codes to.",
            ));
            go(&session, &data, "/protection/setup").await
        }
        _ => {
            let name = user.email.to_string();
            setup(&app, &session, data, &user, e, Either::First(name)).await
        }
    }
}

/// Sets the factor up, then shows its key, its recovery codes (active at
/// once: SMS on the phone just verified), or the binding code's form.
async fn setup(
    app: &App,
    session: &Session,
    mut data: Data,
    user: &User,
    e: Enrollment,
    setup: Either<String, PhoneNumber>,
) -> Page {
    let now = now()?;
    let mut done = app.run(user, |f, a| e.setup(f, a, &setup, now)).await;
    if let Err(err) = done.result {
        data.flash = Some(Flash::error(say(&err)));
        return go(session, &data, "/protection/setup").await;
    }
    data.enrollment = done.state.take();
    if let Some(key) = done.key() {
        return show(session, &data, pages::totp_key(user, key, None)).await;
    }
    finished(session, data, user, &done, false).await
}

/// After a setup or confirmation: recovery codes to show, done, or a code sent.
async fn finished(
    session: &Session,
    mut data: Data,
    user: &User,
    done: &Ran<Enrollment>,
    new: bool,
) -> Page {
    if let Some(codes) = done.recovery_codes() {
        data.enrollment = None;
        data.method = None;
        let flash = Flash::info("Account protection is on.");
        return show(
            session,
            &data,
            pages::recovery_codes(user, codes, Some(&flash)),
        )
        .await;
    }
    if data.enrollment.as_ref().is_none_or(Enrollment::is_done) {
        let kind = match data.method.take() {
            Some(Method::Sms) => "text messages",
            _ => "an authenticator app",
        };
        data.enrollment = None;
        data.flash = Some(Flash::info(match data.changing.take() {
            Some(After::Add(name)) => format!("Added {name}: {kind} can sign you in too."),
            Some(_) => format!("Changed: this factor now uses {kind}."),
            None => format!("Account protection is on, with {kind}."),
        }));
        return go(session, &data, "/").await;
    }
    data.flash = Some(we_sent(done, new));
    go(session, &data, "/protection/setup").await
}

async fn phone(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let data = load(&session).await?;
    let user = signed_in!(app, data);
    let Some(e) = data.enrollment.clone() else {
        return go(&session, &data, "/protection/setup").await;
    };
    let phone = Fields::parse(&body).get("phone").to_owned();
    setup_phone(&app, &session, data, &user, e, &phone).await
}

async fn method(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let Some(e) = data.enrollment.clone() else {
        return go(&session, &data, "/protection/setup").await;
    };
    let f = Fields::parse(&body);
    if f.get("method") != "sms" {
        data.method = Some(Method::Totp);
        let name = user.email.to_string();
        return setup(&app, &session, data, &user, e, Either::First(name)).await;
    }
    data.method = Some(Method::Sms);
    setup_phone(&app, &session, data, &user, e, f.get("phone")).await
}

/// Sets text messages up on the number typed, or asks again for one in
/// international form.
async fn setup_phone(
    app: &App,
    session: &Session,
    mut data: Data,
    user: &User,
    e: Enrollment,
    typed: &str,
) -> Page {
    match PhoneNumber::parse(typed) {
        Ok(phone) => setup(app, session, data, user, e, Either::Second(phone)).await,
        Err(_) => {
            data.flash = Some(Flash::error(
                "Type the number in international form, such as +447700900123.",
            ));
            go(session, &data, "/protection/setup").await
        }
    }
}

async fn confirm(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let Some(e) = data.enrollment.clone() else {
        return go(&session, &data, "/protection/setup").await;
    };
    let (code, now) = (Fields::parse(&body).get("code").to_owned(), now()?);
    let mut done = app.run(&user, |f, a| e.confirm(f, a, &[&code], now)).await;
    if let Err(err) = done.result {
        data.flash = Some(Flash::error(say(&err)));
        return go(&session, &data, "/protection/setup").await;
    }
    data.enrollment = done.state.take();
    finished(&session, data, &user, &done, false).await
}

async fn resend(State(app): State<App>, session: Session) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let Some(e) = data.enrollment.clone() else {
        return go(&session, &data, "/protection/setup").await;
    };
    let now = now()?;
    let done = app.run(&user, |f, a| e.resend(f, a, now)).await;
    data.flash = Some(match done.result {
        Ok(()) => we_sent(&done, true),
        Err(err) => Flash::error(say(&err)),
    });
    data.enrollment = done.state.or(Some(e));
    go(&session, &data, "/protection/setup").await
}

async fn cancel(session: Session) -> Page {
    let mut data = load(&session).await?;
    data.enrollment = None;
    data.changing = None;
    data.method = None;
    go(&session, &data, "/").await
}

// ---- checks: log-on, critical operations, changes ----

/// Starts a fresh check (step-up) for a change, then the challenge page.
async fn step_up(app: &App, session: &Session, after: After) -> Page {
    let mut data = load(session).await?;
    let user = &signed_in!(app, data);
    let now = now()?;
    let done = app.run(user, |f, a| Verification::step_up(f, a, now)).await;
    if let Some(check) = done.state {
        data.check = Some(check);
        data.after = Some(after);
        data.flash = done.result.err().map(|e| Flash::error(say(&e)));
        return go(session, &data, "/verify").await;
    }
    data.flash = done.result.err().map(|e| Flash::error(say(&e)));
    go(session, &data, "/").await
}

async fn change_method(State(app): State<App>, session: Session, body: Bytes) -> Page {
    match Fields::parse(&body).get("factor").parse() {
        Ok(id) => step_up(&app, &session, After::ChangeMethod(id)).await,
        Err(_) => Ok(Redirect::to("/").into_response()),
    }
}

async fn regenerate(State(app): State<App>, session: Session) -> Page {
    step_up(&app, &session, After::Regenerate).await
}

async fn turn_off(State(app): State<App>, session: Session) -> Page {
    step_up(&app, &session, After::TurnOff).await
}

/// The user a check is for: signed in, or past the password at log-on.
fn checked_user(app: &App, data: &Data) -> Option<User> {
    app.user(data.user.as_deref().or(data.pending_user.as_deref()))
}

async fn verify_page(State(app): State<App>, session: Session) -> Page {
    let mut data = load(&session).await?;
    let (Some(user), Some(check), Some(after)) =
        (checked_user(&app, &data), &data.check, &data.after)
    else {
        return go(&session, &data, "/").await;
    };
    let account = mfa::load(&app.mfa.store, user.name.as_str()).await;
    let factors = account.as_ref().map(Account::factors).unwrap_or_default();
    let chosen = check.factor().or_else(|| factors.first().map(|f| f.id()));
    let phone = match factors
        .iter()
        .find(|f| Some(f.id()) == chosen)
        .map(|f| f.record())
    {
        Some(Either::Second(sms)) => Some(sms.phone().as_str().to_owned()),
        _ => None,
    };
    let others: Vec<_> = factors.iter().filter(|f| Some(f.id()) != chosen).collect();
    let flash = data.flash.take();
    let page = pages::verify(
        &user,
        data.user.is_some(),
        check.awaiting(),
        (phone.as_deref(), &others),
        &pages::purpose(after),
        app.mfa.flows.policy().trust_ttl() / 86_400,
        flash.as_ref(),
    );
    show(&session, &data, page).await
}

async fn verify_code(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let f = Fields::parse(&body);
    let mut data = load(&session).await?;
    data.remember = data.after == Some(After::LogOn) && f.get("remember") == "on";
    session.insert(KEY, &data).await?;
    let code = f.get("code").to_owned();
    answer(&app, &session, |c, f, a, now| c.respond(f, a, &code, now)).await
}

async fn verify_recovery(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let code = Fields::parse(&body).get("recovery_code").to_owned();
    answer(&app, &session, |c, f, a, now| {
        c.respond_recovery(f, a, &code, now)
    })
    .await
}

async fn verify_send(State(app): State<App>, session: Session) -> Page {
    answer(&app, &session, |c, f, a, now| c.send_code(f, a, now)).await
}

/// A step of the check in the session; once it passes, what it was for.
async fn answer(
    app: &App,
    session: &Session,
    op: impl Fn(&Verification, &Flows<Factor>, &Account, u64) -> mfa::Transition<Verification, Record>
    + Send
    + Sync,
) -> Page {
    let mut data = load(session).await?;
    let (Some(user), Some(check)) = (checked_user(app, &data), data.check.clone()) else {
        return go(session, &data, "/").await;
    };
    let now = now()?;
    let mut done = app.run(&user, |f, a| op(&check, f, a, now)).await;
    let Some(state) = done.state.take().filter(|_| done.result.is_ok()) else {
        data.flash = done.result.err().map(|e| Flash::error(say(&e)));
        return go(session, &data, "/verify").await;
    };
    if !state.is_done() {
        let new = check.awaiting() == Awaiting::SentCode;
        data.flash = Some(we_sent(&done, new));
        data.check = Some(state);
        return go(session, &data, "/verify").await;
    }
    data.check = None;
    data.verified = state.verified().cloned();
    match data.after.take() {
        Some(After::LogOn) => {
            session.cycle_id().await?;
            data.user = data.pending_user.take();
            data.flash = Some(Flash::info("You are signed in."));
            let page = go(session, &data, "/").await?;
            match state
                .verified()
                .filter(|_| std::mem::take(&mut data.remember))
            {
                Some(proof) => remember(app, session, data, &user, proof, page).await,
                None => Ok(page),
            }
        }
        Some(After::Delete(name)) => delete_now(app, session, data, &user, &state, &name).await,
        Some(change) => changed(app, session, data, &user, change).await,
        None => go(session, &data, "/").await,
    }
}

/// A change, with the check that just passed.
async fn changed(app: &App, session: &Session, mut data: Data, user: &User, change: After) -> Page {
    let (Some(proof), now) = (data.verified.clone(), now()?) else {
        return go(session, &data, "/").await;
    };
    let proof = &proof;
    match &change {
        After::ChangeMethod(id) => {
            let done = app
                .run(user, |f, a| Enrollment::start_change(f, a, id, proof, now))
                .await;
            data.flash = done.result.err().map(|e| Flash::error(say(&e)));
            data.enrollment = done.state;
            data.changing = Some(change.clone());
            data.method = None;
            go(
                session,
                &data,
                if data.enrollment.is_some() {
                    "/protection/setup"
                } else {
                    "/"
                },
            )
            .await
        }
        After::Regenerate => {
            let done = app
                .run(user, |f, a| a.regenerate_recovery_codes(f, proof, now))
                .await;
            if let (Ok(()), Some(codes)) = (&done.result, done.recovery_codes()) {
                let flash = Flash::info("New recovery codes: the old ones no longer work.");
                let page = pages::recovery_codes(user, codes, Some(&flash));
                return show(session, &data, page).await;
            }
            data.flash = done.result.err().map(|e| Flash::error(say(&e)));
            go(session, &data, "/").await
        }
        After::Add(..) | After::Rename(..) | After::Remove(_) => {
            factor_changed(app, session, data, user, &change, proof, now).await
        }
        _ => {
            let done = app.run(user, |f, a| a.turn_off(f, proof, now)).await;
            data.flash = Some(match done.result {
                Ok(()) => Flash::info("Account protection is off."),
                Err(e) => Flash::error(say(&e)),
            });
            go(session, &data, "/").await
        }
    }
}

async fn resources(State(app): State<App>, session: Session) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let flash = data.flash.take();
    let page = pages::resources(&user, &app.resources_of(&user), flash.as_ref());
    show(&session, &data, page).await
}

async fn delete_resource(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let name = Fields::parse(&body).get("resource").to_owned();
    // Each deletion asks for a check (none is asked if critical operations are not protected).
    let now = now()?;
    let last = data.verified.as_ref();
    let done = app
        .run(&user, |f, a| Verification::start(f, a, CRITICAL, last, now))
        .await;
    match done.state {
        Some(check) if check.is_done() => {
            delete_now(&app, &session, data, &user, &check, &name).await
        }
        Some(check) => {
            data.check = Some(check);
            data.after = Some(After::Delete(name));
            data.flash = done.result.err().map(|e| Flash::error(say(&e)));
            go(&session, &data, "/verify").await
        }
        None => {
            data.flash = done.result.err().map(|e| Flash::error(say(&e)));
            go(&session, &data, "/resources").await
        }
    }
}

/// Deletes `name` if `check` authorises a critical operation now.
async fn delete_now(
    app: &App,
    session: &Session,
    mut data: Data,
    user: &User,
    check: &Verification,
    name: &str,
) -> Page {
    let (account, now) = (mfa::load(&app.mfa.store, user.name.as_str()).await, now()?);
    let authorized = account.and_then(|a| check.authorize(&app.mfa.flows, &a, &CRITICAL, now));
    data.flash = Some(match authorized {
        Ok(()) if app.delete(user, name) => Flash::info(format!("Deleted {name}.")),
        Ok(()) => Flash::error(format!("There is no resource named {name}.")),
        Err(e) => Flash::error(say(&e)),
    });
    go(session, &data, "/resources").await
}
