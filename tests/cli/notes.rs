//! Migration notes an operator can follow, costs that say what they miss,
//! and diff errors that point at what the user wrote.

use crate::support::{repo, run_in, Test, MINIMAL};

#[test]
fn a_descriptor_that_is_not_a_map_is_reported_not_a_panic() {
    for (text, found) in [("- a\n- b\n", "a list"), ("hello\n", "a string")] {
        let test = Test::new().write("base.yaml", MINIMAL).write("env.yaml", text);
        for variant in [
            &["--with", "redis"][..],
            &["--without", "redis"],
            &["--set", "cache.kind=redis"],
        ] {
            let mut args = vec!["diff", "env.yaml", "--against", "base.yaml"];
            args.extend_from_slice(variant);
            let run = test.run(&args);
            assert_eq!(
                (run.code, run.stderr.as_str()),
                (
                    2,
                    format!("env.yaml:1:1: error: expected a map, found {found}\nerror: the descriptor is invalid (1 error)\n")
                        .as_str()
                ),
                "{variant:?}"
            );
        }
    }
}

#[test]
fn a_misspelt_set_path_names_the_option_not_a_line_of_the_file() {
    let run = run_in(&repo(), &["diff", "revisbali", "--set", "cache.kinnd=redis"]);
    run.expect(
        2,
        "",
        "error: `--set cache.kinnd=redis`: /cache/kinnd: unknown key `kinnd`; did you mean `kind`?\n\
         error: the descriptor is invalid (1 error)\n",
    );
}
