//! Criterion benchmarks of each stage for one environment:
//! `cargo bench --bench pipeline`.

use criterion::{criterion_group, criterion_main, Criterion};
use deploygen::render::Renderer;
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn descriptor(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("environments").join(name)
}

fn stages(c: &mut Criterion) {
    let renderer = Renderer::embedded();
    for env in ["revisbali.yaml", "magictoolbox-dev.yaml", "instructly.yaml"] {
        let path = descriptor(env);
        let mut group = c.benchmark_group(env.trim_end_matches(".yaml"));
        group.bench_function("load", |b| b.iter(|| black_box(deploygen::load::load(&path).unwrap())));
        group.bench_function("validate", |b| {
            b.iter(|| black_box(deploygen::validate::validate(&path).unwrap()))
        });
        let validated = deploygen::validate::validate(&path).unwrap();
        group.bench_function("plan", |b| {
            b.iter(|| {
                black_box(deploygen::plan::build(
                    &validated.descriptor,
                    "environments/x.yaml".into(),
                ))
            })
        });
        let plan = deploygen::plan::build(&validated.descriptor, "environments/x.yaml".into());
        group.bench_function("render", |b| b.iter(|| black_box(renderer.render(&plan).unwrap())));
        group.bench_function("all", |b| {
            b.iter(|| black_box(deploygen::pipeline::prepare(&path, &renderer, None).unwrap()))
        });
        group.finish();
    }
    // Templates are parsed on first use: this is the set-up alone.
    c.bench_function("template engine setup", |b| b.iter(|| black_box(Renderer::embedded())));
}

criterion_group!(benches, stages);

/// What every process paid before the schema became generated code (issue 25):
/// kept to show what the generated validator saves.
fn schema(c: &mut Criterion) {
    let schema = deploygen::validate::schema::schema_json();
    c.bench_function("run-time schema compile (no longer done)", |b| {
        b.iter(|| black_box(jsonschema::validator_for(schema).unwrap()))
    });
    c.bench_function("run-time schema compile, regex engine (no longer done)", |b| {
        b.iter(|| {
            black_box(
                jsonschema::options()
                    .with_pattern_options(jsonschema::PatternOptions::regex())
                    .build(schema)
                    .unwrap(),
            )
        })
    });
}

criterion_group!(schema_benches, schema);
criterion_main!(benches, schema_benches);
