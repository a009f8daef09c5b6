//! What each platform makes of the Plan: its resources and file models
//! (compose files and `.env`, Azure Bicep and parameters, render.yaml and
//! redis.conf). The [`super::Target`] implementations call these.

pub mod azure;
pub mod compose;
pub mod render;
