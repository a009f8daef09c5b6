//! `deploygen init`: a commented starter descriptor that validates as written.

use crate::error::{Error, Result};
use crate::validate::schema::ENVIRONMENT_SCHEMA;
use std::path::{Path, PathBuf};

pub struct InitOptions<'a> {
    pub path: Option<&'a Path>,
    pub name: &'a str,
    pub platform: &'a str,
    pub cache: &'a str,
    /// A `framework:` value (`none` included).
    pub framework: &'a str,
}

/// Write the starter (and the schema beside it, for the editor); never overwrite.
pub fn init(options: &InitOptions) -> Result<Vec<PathBuf>> {
    let name_ok = options.name.len() <= 40
        && options.name.starts_with(|c: char| c.is_ascii_lowercase())
        && options
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        return Err(Error::Usage {
            message: format!(
                "`--name {}`: use lower-case letters, digits and dashes, starting with a letter",
                options.name
            ),
        });
    }
    let target = crate::target::named(options.platform).ok_or_else(|| Error::Usage {
        message: format!("`--platform {}`: no such platform", options.platform),
    })?;
    let starter = target.starter();
    if options.cache == "memcached" && !starter.memcached {
        return Err(Error::Usage {
            message: format!(
                "`--cache memcached` runs only on `compose`; `{}` has no memcached",
                options.platform
            ),
        });
    }
    // The starter would not validate: Linux App Service has no Ruby stack.
    if options.platform == "azure-app-service" && options.framework == "rails" {
        return Err(Error::Usage {
            message: "`--framework rails` on `azure-app-service`: Linux App Service has no built-in Ruby stack; use `--platform azure-container-apps` or `render`".into(),
        });
    }
    let path = options
        .path
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(super::environments::ENVIRONMENTS_DIR).join(format!("{}.yaml", options.name)));
    // `symlink_metadata`: a dangling link is "there" too, and never written through.
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::Exists {
            path: crate::source::display_path(&path),
        });
    }
    let shown = crate::source::display_path(&path);
    let text = render(options, starter, &shown)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let mut written = Vec::new();
    let schema = dir.join("environment.schema.json");
    if std::fs::symlink_metadata(&schema).is_err() {
        create_new(&schema, ENVIRONMENT_SCHEMA)?;
        written.push(schema);
    }
    create_new(&path, &text)?;
    written.push(path);
    Ok(written)
}

/// Create `path` exclusively (`O_EXCL`: never through a link, never over a
/// file that appeared meanwhile); a file left half written is removed.
fn create_new(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let fail = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::AlreadyExists => Error::Exists {
            path: crate::source::display_path(path),
        },
        _ => Error::Write {
            path: crate::source::display_path(path),
            source,
        },
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(|e| {
        let _ = std::fs::remove_file(path);
        fail(e)
    })
}

fn render(options: &InitOptions, starter: crate::target::Starter, shown: &str) -> Result<String> {
    let mut env = minijinja::Environment::new();
    // The same escaping as every generated file (YAML here).
    crate::render::configure(&mut env);
    env.add_template(
        "init/descriptor.yaml.j2",
        include_str!("../../templates/init/descriptor.yaml.j2"),
    )
    .map_err(|e| Error::Template {
        name: "init/descriptor.yaml.j2".into(),
        message: e.to_string(),
    })?;
    let database = options.name.replace('-', "_");
    let framework: crate::model::Framework =
        serde_json::from_value(serde_json::json!(options.framework)).map_err(|_| Error::Usage {
            message: format!("`--framework {}`: no such framework", options.framework),
        })?;
    let app = &crate::resolve::framework::facts(framework).starter;
    let port = starter.web_port.unwrap_or(app.port);
    let context = minijinja::context! {
        file => minijinja::context! {
            name => options.name,
            platform => options.platform,
            cache => options.cache,
            database => database,
            path => shown,
            starter => minijinja::Value::from_serialize(starter),
            framework => options.framework,
            command => app.command.map(|c| c.replace("{project}", &database).replace("{port}", &port.to_string())),
            port => port,
            health_path => app.health_path,
            secret_env => app.secret_env,
            // The secret's own variable is the one the app reads.
            secret_id => app.secret_env.to_lowercase().replace('_', "-"),
        },
    };
    env.get_template("init/descriptor.yaml.j2")
        .and_then(|t| t.render(context))
        .map_err(|e| Error::Template {
            name: "init/descriptor.yaml.j2".into(),
            message: format!("{e:#}"),
        })
}
