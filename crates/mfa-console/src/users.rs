//! The demo users: names, passwords (hashed with Argon2id at start-up),
//! e-mail addresses and bound phones.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use mfa::Destination;

/// A user of the console.
#[derive(Clone, Debug)]
pub struct User {
    /// The sign-in name, also the id of the account's record.
    pub name: String,
    /// The verified e-mail address.
    pub email: Destination,
    /// The bound (verified) phone, if any.
    pub phone: Option<Destination>,
    /// Whether this user may reset other users' protection.
    pub admin: bool,
    /// The password's Argon2id hash (PHC string).
    hash: String,
}

impl User {
    /// The contacts an identity code may be sent to.
    pub fn contacts(&self) -> Vec<Destination> {
        std::iter::once(self.email.clone())
            .chain(self.phone.clone())
            .collect()
    }

    /// Whether `password` is this user's (Argon2id, constant-time).
    pub fn password_is(&self, password: &str) -> bool {
        PasswordHash::new(&self.hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    }
}

/// The demo users' names, passwords, e-mail addresses, phones and
/// whether each is an administrator.
pub const DEMO: [(&str, &str, &str, Option<&str>, bool); 5] = [
    (
        "ada",
        "ada-demo-pw",
        "ada@example.com",
        Some("+447700900001"),
        false,
    ),
    ("bob", "bob-demo-pw", "bob@example.com", None, false),
    (
        "carol",
        "carol-demo-pw",
        "carol@example.com",
        Some("+447700900003"),
        false,
    ),
    ("dave", "dave-demo-pw", "dave@example.com", None, false),
    ("root", "root-demo-pw", "root@example.com", None, true),
];

/// The users, their passwords hashed.
#[derive(Clone, Debug)]
pub struct Users(Vec<User>);

impl Users {
    /// The demo users, each password hashed with Argon2id and a random salt.
    ///
    /// # Errors
    ///
    /// If the random source, an address or the hashing fails.
    pub fn demo() -> Result<Self, crate::BoxError> {
        let mut users = Vec::new();
        for (name, password, email, phone, admin) in DEMO {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
            let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
            let hash = Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map_err(|e| e.to_string())?
                .to_string();
            users.push(User {
                name: name.to_owned(),
                email: Destination::email(email)?,
                phone: phone.map(Destination::sms).transpose()?,
                admin,
                hash,
            });
        }
        Ok(Self(users))
    }

    /// The user named `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.0.iter().find(|u| u.name == name)
    }

    /// The user named `name` if `password` is theirs. An unknown name
    /// costs a hash too, so that it takes as long as a wrong password.
    pub fn sign_in(&self, name: &str, password: &str) -> Option<&User> {
        match self.get(name) {
            Some(user) => user.password_is(password).then_some(user),
            None => {
                self.0.first().map(|u| u.password_is(password));
                None
            }
        }
    }
}
