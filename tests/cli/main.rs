//! One integration test binary: every test runs the real `deploygen` in a
//! temporary folder and pins what it prints, its exit code and what it writes.

mod azure_deploy;
mod diff;
mod docs;
mod ecosystem;
mod errors;
mod escaping;
mod example_fastapi_rq;
mod example_node_bullmq;
mod example_rails_sidekiq;
mod frameworks;
mod hostile;
mod inputs;
mod invalid_fixtures;
mod lints;
mod notes;
mod per_service;
mod pre_commit;
mod queues;
mod render_check;
mod render_compose_deploy;
mod role_ids;
mod rules;
mod s1_s3_azure;
mod s2_revisbali;
mod s4_render;
mod safety;
mod schema_types;
mod shipped;
mod stop_grace;
mod support;
mod templates;
mod validators;
mod writes;
