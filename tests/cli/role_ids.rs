//! Every role id a generated Bicep file grants is a built-in role in
//! Microsoft's catalogue (shared/schemas-external/azure-built-in-roles.json).
//! An invented id deploys as `RoleDefinitionDoesNotExist` and no type check
//! sees it: the AcrPull id once shipped wrong this way.

use crate::support::{built_in_roles, render_shipped_environments};

/// The GUIDs given to `roleDefinitions` in a Bicep file, whether written
/// inline or through the constants the templates use.
fn role_ids(bicep: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in bicep.lines().filter(|l| l.contains("roleDefinitions")) {
        for quoted in line.split('\'').skip(1).step_by(2) {
            let is_guid = quoted.len() == 36 && quoted.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            if is_guid {
                ids.push(quoted.to_string());
            }
        }
    }
    ids
}

#[test]
fn every_granted_role_is_a_built_in_role() {
    let roles = built_in_roles();
    let dir = tempfile::tempdir().unwrap();
    let mut granted = 0;
    for name in render_shipped_environments(dir.path()) {
        let out = dir.path().join(&name);
        for file in walk(&out)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "bicep"))
        {
            let text = std::fs::read_to_string(&file).unwrap();
            for id in role_ids(&text) {
                assert!(
                    roles.contains_key(&id),
                    "{}: role definition {id} is not a built-in Azure role",
                    file.display()
                );
                granted += 1;
            }
        }
    }
    // The shipped Azure environments grant Key Vault Secrets User and AcrPull:
    // a parser that finds no id would pass everything.
    assert!(granted >= 5, "only {granted} role ids found");
}

#[test]
fn the_role_id_reader_finds_inline_ids() {
    let bicep = "roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '7f951dce-7ac9-4a6d-8a02-6e34b8d4d4d5')";
    assert_eq!(role_ids(bicep), ["7f951dce-7ac9-4a6d-8a02-6e34b8d4d4d5"]);
    assert!(!built_in_roles().contains_key("7f951dce-7ac9-4a6d-8a02-6e34b8d4d4d5"));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
