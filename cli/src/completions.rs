//! Shell completions (clap_complete) and the man page (clap_mangen), both generated from
//! the command definition so they never drift from the options.

pub fn script(shell: clap_complete::Shell, mut cmd: clap::Command) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "guestnet", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn man_page(cmd: clap::Command) -> Result<String, String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}
