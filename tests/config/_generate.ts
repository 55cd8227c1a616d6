// Copyright the @pyst/asterisk authors. MIT license.
// Generators of large, realistic config files for round-trip tests and the
// benchmark. Deterministic: the same arguments give the same text.

/**
 * A pjsip.conf with `endpoints` phones, each an endpoint, auth and aor
 * section of the same name built from templates, with comments and blank
 * lines as people write them.
 */
export function generatePjsipConf(endpoints: number): string {
  const parts: string[] = [
    "; pjsip.conf generated for tests",
    ";-- transport and templates first,",
    "    then one endpoint/auth/aor triple per phone --;",
    "",
    "[global]",
    "type = global",
    "user_agent = pyst test PBX",
    "",
    "[transport-udp]",
    "type = transport",
    "protocol = udp",
    "bind = 0.0.0.0:5060",
    "",
    "[endpoint-tpl](!)                 ; every phone",
    "type = endpoint",
    "context = internal",
    "disallow = all",
    "allow = ulaw",
    "allow = alaw",
    "direct_media = no",
    "rtp_symmetric = yes",
    "force_rport = yes",
    "rewrite_contact = yes",
    "dtmf_mode = rfc4733",
    "",
    "[auth-tpl](!)",
    "type = auth",
    "auth_type = userpass",
    "",
    "[aor-tpl](!)",
    "type = aor",
    "max_contacts = 1",
    "remove_existing = yes",
    "qualify_frequency = 60",
    "",
  ];
  for (let i = 0; i < endpoints; i++) {
    const ext = String(100000 + i);
    parts.push(
      `; phone ${ext}`,
      `[${ext}](endpoint-tpl)`,
      `auth = ${ext}`,
      `aors = ${ext}`,
      `callerid = "User ${ext}" <${ext}>`,
      i % 10 === 0
        ? `allow += ,g722 ; wideband desk phone`
        : `mailboxes = ${ext}@default`,
      `[${ext}](auth-tpl)`,
      `username = ${ext}`,
      `password = s3cret-${ext}\\;x`,
      `[${ext}](aor-tpl)`,
      "",
    );
  }
  return parts.join("\n");
}

/** An extensions.conf with `lines` `exten =>` lines in contexts of 1000. */
export function generateExtensionsConf(lines: number): string {
  const parts: string[] = [
    "; extensions.conf generated for tests",
    "[general]",
    "static = yes",
    "writeprotect = no",
    "",
    "[globals]",
    "TRUNK = PJSIP/trunk",
    "",
  ];
  for (let i = 0; i < lines; i++) {
    if (i % 1000 === 0) {
      parts.push(
        "",
        `[context-${i / 1000}]`,
        "include => subs ; shared subroutines",
      );
    }
    const ext = 100000 + i;
    parts.push(
      i % 7 === 0
        ? `exten => ${ext},1,Dial(PJSIP/${ext},30,tT) ; ring ${ext} for 30 s`
        : `exten => ${ext},1,Dial(\${TRUNK}/${ext},30)`,
    );
  }
  parts.push("");
  return parts.join("\n");
}
