//! The account lifecycle of issue 13 on the console: remembered browsers
//! (remember, forget one or all), adding, renaming and removing a factor
//! after a fresh check, choosing which factor a check asks, an
//! administrator's reset of a user's protection, and what a run adds for
//! them: a user's other sessions ended when their protection changes. The handlers here call the runner as those of `app.rs` do;
//! their statements that wire the crate are counted apart
//! (`tests::glue_is_counted`), so that the console of issue 10 keeps its
//! bar and this part shows its own cost.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Redirect, Response};
use mfa::{
    AdminId, DeviceId, DeviceToken, Effect, Enrollment, FactorName, FlowError, Ran, Reason,
    Verified,
};
use tower_sessions::Session;

use super::{
    After, App, DEVICE_COOKIE, Data, Fail, Fields, Page, SECURE, checked_user, go, load, now, show,
    step_up,
};
use crate::pages::{self, Flash};
use crate::sessions::end_others_of;
use crate::users::User;
use crate::wiring::say;

impl App {
    /// What the account lifecycle adds to a run on `user`'s record (the
    /// runner, `App::run`, calls it before the run's messages go): the
    /// user's other sessions end when the run asks (the owner's, after an
    /// admin reset), this request's kept; then each text spends the SMS
    /// budgets of its number and prefix, and one refused is not sent (its
    /// refusal is the run's result, said as a sentence). A failure is the
    /// run's.
    pub(crate) async fn lifecycle_effects<S>(&self, user: &User, ran: &mut Ran<S>) {
        if ran.ends_other_sessions() && end_others_of(&user.name).await.is_err() {
            ran.result = Err(FlowError::Internal("the other sessions could not be ended"));
        }
        let Ok(now) = mfa::unix_now() else {
            // No clock, no budget to spend: nothing is sent.
            ran.effects.retain(|e| !matches!(e, Effect::Deliver(_)));
            ran.result = Err(FlowError::Internal("the clock is before 1970"));
            return;
        };
        ran.spend_budgets(&self.mfa.store, &self.mfa.budgets, now)
            .await;
    }
}

/// The device token of this browser, if its cookie holds one.
pub(super) fn remembered(headers: &HeaderMap) -> Option<DeviceToken> {
    let cookies = headers.get_all(COOKIE).into_iter();
    let mut values = cookies
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'));
    values.find_map(|c| DeviceToken::parse(c.trim().strip_prefix("device=")?).ok())
}

/// Remembers this browser after the log-on check `proof`: its token in a
/// long-lived cookie on `page`; a refusal is said on the next page.
pub(super) async fn remember(
    app: &App,
    session: &Session,
    mut data: Data,
    user: &User,
    proof: &Verified,
    mut page: Response,
) -> Page {
    let now = now()?;
    let ran = app.run(user, |f, a| a.trust_device(f, proof, now)).await;
    let Some(token) = ran.state.filter(|_| ran.result.is_ok()) else {
        data.flash = ran.result.err().map(|e| Flash::error(say(&e)));
        return go(session, &data, "/").await;
    };
    let days = app.mfa.flows.policy().trust_ttl() / 86_400;
    let value = token.to_cookie_value();
    let cookie = tower_sessions::cookie::Cookie::build((DEVICE_COOKIE, value.as_str()))
        .http_only(true)
        .secure(SECURE)
        .same_site(tower_sessions::cookie::SameSite::Lax)
        .path("/")
        .max_age(tower_sessions::cookie::time::Duration::days(
            i64::try_from(days).unwrap_or(30),
        ))
        .build();
    let header = cookie
        .to_string()
        .parse()
        .map_err(|_| Fail("cookie".into()))?;
    page.headers_mut().append(SET_COOKIE, header);
    Ok(page)
}

/// Forgets one remembered device (`device`: its id) or all (`all`).
pub(super) async fn forget_device(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    let (f, now) = (Fields::parse(&body), now()?);
    let done = match (f.get("device"), DeviceId::parse(f.get("device"))) {
        (_, Ok(id)) => app.run(&user, |_, a| a.revoke_device(&id, now)).await,
        ("all", _) => app.run(&user, |_, a| a.revoke_all_devices(now)).await,
        (_, Err(e)) => {
            data.flash = Some(Flash::error(pages::sentence(&e.to_string())));
            return go(&session, &data, "/").await;
        }
    };
    data.flash = Some(match done.result {
        Ok(()) => Flash::info("Forgotten: signing in there asks for a code again."),
        Err(e) => Flash::error(say(&e)),
    });
    go(&session, &data, "/").await
}

/// The 403 page, unless `user` is an administrator.
fn not_admin(user: &User) -> Option<Response> {
    (!user.admin).then(|| (StatusCode::FORBIDDEN, pages::forbidden(user)).into_response())
}

/// The administrator's page (403 for anyone else).
pub(super) async fn admin_page(State(app): State<App>, session: Session) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    if let Some(page) = not_admin(&user) {
        return Ok(page);
    }
    let flash = data.flash.take();
    show(&session, &data, pages::admin(&user, flash.as_ref())).await
}

/// An administrator resets the named user's protection, with a reason:
/// the owner is told, the audit log names the administrator, and the
/// owner's sessions end.
pub(super) async fn admin_reset(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let mut data = load(&session).await?;
    let user = signed_in!(app, data);
    if let Some(page) = not_admin(&user) {
        return Ok(page);
    }
    let f = Fields::parse(&body);
    let admin = AdminId::new(&user.name).map_err(|e| Fail(e.to_string()))?;
    let (owner, reason) = match (app.users.get(f.get("user")), Reason::new(f.get("reason"))) {
        (None, _) => {
            return refused(&session, data, "There is no such user.".into(), "/admin").await;
        }
        (_, Err(e)) => return refused(&session, data, format!("The reason: {e}."), "/admin").await,
        (Some(owner), Ok(reason)) => (owner.clone(), reason),
    };
    let now = now()?;
    let done = app
        .run(&owner, |f, a| a.admin_reset(f, &admin, &reason, now))
        .await;
    data.flash = Some(match done.result {
        Ok(()) => Flash::info(format!(
            "{}'s protection is off, their sessions ended, and they were told.",
            owner.name
        )),
        Err(e) => Flash::error(say(&e)),
    });
    go(&session, &data, "/admin").await
}

/// Back to `to` with `text`, a refusal.
async fn refused(session: &Session, mut data: Data, text: String, to: &str) -> Page {
    data.flash = Some(Flash::error(text));
    go(session, &data, to).await
}

/// Renames a factor (`factor`: its id; `name`: the new name) after a
/// fresh check; a bad name is refused before the check.
pub(super) async fn rename_factor(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let f = Fields::parse(&body);
    match (f.get("factor").parse(), FactorName::new(f.get("name"))) {
        (Ok(id), Ok(name)) => step_up(&app, &session, After::Rename(id, name)).await,
        (_, Err(e)) => bad_name(&session, &e).await,
        (Err(_), _) => Ok(Redirect::to("/").into_response()),
    }
}

/// Adds a factor named `name` after a fresh check; the setup pages
/// follow. A bad name is refused before the check.
pub(super) async fn add_factor(State(app): State<App>, session: Session, body: Bytes) -> Page {
    match FactorName::new(Fields::parse(&body).get("name")) {
        Ok(name) => step_up(&app, &session, After::Add(name)).await,
        Err(e) => bad_name(&session, &e).await,
    }
}

/// The check asks the factor `factor` (its id) instead.
pub(super) async fn verify_choose(State(app): State<App>, session: Session, body: Bytes) -> Page {
    let Ok(id) = Fields::parse(&body).get("factor").parse() else {
        return Ok(Redirect::to("/verify").into_response());
    };
    let mut data = load(&session).await?;
    let (Some(user), Some(check)) = (checked_user(&app, &data), data.check.clone()) else {
        return go(&session, &data, "/").await;
    };
    let now = now()?;
    let done = app.run(&user, |f, a| check.choose(f, a, &id, now)).await;
    data.flash = done.result.err().map(|e| Flash::error(say(&e)));
    data.check = done.state.or(data.check);
    go(&session, &data, "/verify").await
}

/// Back to the account page: the name `e` says is not one.
async fn bad_name(session: &Session, e: &mfa::NameError) -> Page {
    let data = load(session).await?;
    refused(session, data, format!("The name: {e}."), "/").await
}

/// Removes a factor (`factor`: its id) after a fresh check.
pub(super) async fn remove_factor(State(app): State<App>, session: Session, body: Bytes) -> Page {
    match Fields::parse(&body).get("factor").parse() {
        Ok(id) => step_up(&app, &session, After::Remove(id)).await,
        Err(_) => Ok(Redirect::to("/").into_response()),
    }
}

/// A factor renamed or removed, with the check `proof` that just passed.
pub(super) async fn factor_changed(
    app: &App,
    session: &Session,
    mut data: Data,
    user: &User,
    change: &After,
    proof: &Verified,
    now: u64,
) -> Page {
    if let After::Add(name) = change {
        let done = app
            .run(user, |f, a| Enrollment::start_add(f, a, proof, name, now))
            .await;
        data.flash = done.result.err().map(|e| Flash::error(say(&e)));
        data.enrollment = done.state;
        data.changing = Some(change.clone());
        data.method = None;
        let to = if data.enrollment.is_some() {
            "/protection/setup"
        } else {
            "/"
        };
        return go(session, &data, to).await;
    }
    let done = match change {
        After::Rename(id, name) => {
            app.run(user, |f, a| a.rename_factor(f, id, name, proof, now))
                .await
        }
        After::Remove(id) => {
            app.run(user, |f, a| a.remove_factor(f, id, proof, now))
                .await
        }
        _ => return go(session, &data, "/").await,
    };
    data.flash = Some(match (done.result, change) {
        (Ok(()), After::Rename(..)) => Flash::info("Renamed."),
        (Ok(()), _) => Flash::info("Removed: it no longer signs you in."),
        (Err(e), _) => Flash::error(say(&e)),
    });
    go(session, &data, "/").await
}
