/// The app's commands, each with an `allow-…` permission that `capabilities/` grants to the
/// pages that need it. With a manifest, Tauri checks every command against the capabilities,
/// the bundled page's too.
const COMMANDS: &[&str] = &[
    "gateway_status",
    "start_gateway",
    "app_settings",
    "change_app_settings",
    "restart_gateway",
    "choose_config",
    "open_folder",
];

fn main() -> std::process::ExitCode {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    match tauri_build::try_build(attributes) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tauri-build: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
