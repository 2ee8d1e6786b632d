#!/usr/bin/env bash
# The macOS disk image: annotator.app beside a link to /Applications, compressed (UDZO).
#
#   packaging/macos/make_dmg.sh dist/annotator.app dist/annotator-0.1.0-macos-arm64.dmg 0.1.0
#
# (python packaging/build.py runs it.) Signing and notarization are optional, by environment:
#
#   MACOS_CODESIGN_IDENTITY  a "Developer ID Application: NAME (TEAMID)" identity in the keychain.
#                            Set it for the build too: the spec then signs every binary and the
#                            app with the hardened runtime. Here it is verified, and the DMG signed.
#   Notarization (needs the identity), either
#     MACOS_NOTARY_PROFILE   a keychain profile saved by `xcrun notarytool store-credentials`
#   or all three of
#     MACOS_NOTARY_APPLE_ID, MACOS_NOTARY_TEAM_ID, MACOS_NOTARY_PASSWORD (an app-specific password)
#   The DMG is submitted, waited for, and the ticket stapled to it.
set -euo pipefail

app=${1:?usage: make_dmg.sh APP OUT.dmg VERSION}
out=${2:?usage: make_dmg.sh APP OUT.dmg VERSION}
version=${3:?usage: make_dmg.sh APP OUT.dmg VERSION}
identity=${MACOS_CODESIGN_IDENTITY:-}
[ -d "$app" ] || { echo "make_dmg: $app not found; build it first (python packaging/build.py)" >&2; exit 1; }

if [ -n "$identity" ]; then
  codesign --verify --deep --strict --verbose=2 "$app"
  echo "make_dmg: $app is signed:"
  codesign --display --verbose=2 "$app" 2>&1 | grep -E "^(Authority|TeamIdentifier|Runtime)" || true
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
ditto "$app" "$staging/$(basename "$app")"
ln -s /Applications "$staging/Applications"
rm -f "$out"
hdiutil create -volname "annotator $version" -srcfolder "$staging" -fs HFS+ \
  -format UDZO -imagekey zlib-level=9 -ov "$out"

if [ -n "$identity" ]; then
  codesign --force --timestamp --sign "$identity" "$out"
  notary=()
  if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
    notary=(--keychain-profile "$MACOS_NOTARY_PROFILE")
  elif [ -n "${MACOS_NOTARY_APPLE_ID:-}" ]; then
    notary=(--apple-id "$MACOS_NOTARY_APPLE_ID" --team-id "${MACOS_NOTARY_TEAM_ID:?MACOS_NOTARY_TEAM_ID is required}"
      --password "${MACOS_NOTARY_PASSWORD:?MACOS_NOTARY_PASSWORD is required}")
  fi
  if ((${#notary[@]})); then
    xcrun notarytool submit "$out" "${notary[@]}" --wait
    xcrun stapler staple "$out"
    xcrun stapler validate "$out"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$out"
  else
    echo "make_dmg: signed, not notarized (no MACOS_NOTARY_PROFILE or MACOS_NOTARY_APPLE_ID)"
  fi
else
  echo "make_dmg: unsigned (no MACOS_CODESIGN_IDENTITY): Gatekeeper will warn on other Macs"
fi
hdiutil verify "$out"
echo "make_dmg: $out"
