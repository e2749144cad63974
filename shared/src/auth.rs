//! What a token grants: a role and the scope it is bound to.
//!
//! The same [`Grant`] is the role part of the gateway's JWT claims and what the web app is
//! told about the signed-in session, so both sides agree on one definition.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A role with the scope it is bound to. Serialized with a `role` tag:
/// `{"role": "display", "building": 100001}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Grant {
    /// A stairwell display: reads the feed of one building, or of one staircase in it.
    Display {
        /// Tampuuri object id of the building.
        #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
        building: u64,
        /// Tampuuri object id of the staircase, when the display shows only one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
        staircase: Option<u64>,
    },
    /// A resident: files and follows fault reports for one apartment.
    Resident {
        /// Tampuuri party id of the resident.
        #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
        party: u64,
        /// Tampuuri object id of the apartment.
        #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
        apartment: u64,
    },
    /// A maintenance company or other assignee: works the reports assigned to it.
    Partner {
        /// Tampuuri party id of the assignee (työnsuorittaja).
        #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
        assignee: u64,
    },
    /// An operator of this gateway: usage, tokens, all data of the account.
    Admin,
    /// A registered third-party app (OAuth 2.0 client credentials); what it may reach is its
    /// registration's, looked up on every request.
    App {
        /// The app's client id (RFC 9068 `client_id`).
        #[cfg_attr(feature = "openapi", schema(pattern = "^rappu-app-[0-9a-f]{16}$"))]
        client_id: String,
        /// The scopes granted, space-separated (RFC 9068 `scope`).
        #[cfg_attr(feature = "openapi", schema(max_length = 200))]
        scope: String,
    },
}

/// The role of a [`Grant`], without its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// See [`Grant::Display`].
    Display,
    /// See [`Grant::Resident`].
    Resident,
    /// See [`Grant::Partner`].
    Partner,
    /// See [`Grant::Admin`].
    Admin,
    /// See [`Grant::App`].
    App,
}

impl Grant {
    /// The role without its scope.
    pub fn role(&self) -> Role {
        match self {
            Grant::Display { .. } => Role::Display,
            Grant::Resident { .. } => Role::Resident,
            Grant::Partner { .. } => Role::Partner,
            Grant::Admin => Role::Admin,
            Grant::App { .. } => Role::App,
        }
    }
}

impl Role {
    /// The role's name on the wire (`display`, `resident`, `partner`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Display => "display",
            Role::Resident => "resident",
            Role::Partner => "partner",
            Role::Admin => "admin",
            Role::App => "app",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the caller's credentials say about it (`GET /api/v1/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The token's subject: who or what it was issued to.
    pub subject: String,
    /// The Tampuuri account (customer) the token is bound to.
    pub account: String,
    /// The role and its scope.
    pub grant: Grant,
    /// When the credentials expire.
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_is_tagged_by_role() {
        let g = Grant::Display {
            building: 7,
            staircase: None,
        };
        assert_eq!(
            serde_json::to_value(&g).unwrap(),
            serde_json::json!({"role": "display", "building": 7})
        );
        let r: Grant =
            serde_json::from_str(r#"{"role":"resident","party":3,"apartment":9}"#).unwrap();
        assert_eq!(r.role(), Role::Resident);
        assert!(serde_json::from_str::<Grant>(r#"{"role":"root"}"#).is_err());
        assert!(serde_json::from_str::<Grant>(r#"{"role":"partner"}"#).is_err());
    }
}
