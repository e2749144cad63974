//! Types shared by the gateway and the web app.
