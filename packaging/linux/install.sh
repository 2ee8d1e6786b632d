#!/bin/sh
# Add annotator to your desktop: menu entry, icon, "Open with" for .jsonl and .annotator files,
# and `annotator` / `annotator-cli` in ~/.local/bin. Per user, no root. Run it from the unpacked
# folder, wherever you keep it:   ./install.sh          Undo:   ./install.sh --uninstall
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
bin=$HOME/.local/bin
apps=$data/applications
icons=$data/icons/hicolor
mime=$data/mime

refresh() {
  if command -v update-mime-database >/dev/null 2>&1; then update-mime-database "$mime" || true; fi
  if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database "$apps" || true; fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t "$icons" || true; fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$apps/annotator.desktop" "$icons/256x256/apps/annotator.png" \
    "$icons/scalable/apps/annotator.svg" "$mime/packages/annotator-mime.xml"
  for name in annotator annotator-cli; do
    # Only our own links: never a file of the same name that something else put there.
    if [ -L "$bin/$name" ] && [ "$(readlink "$bin/$name")" = "$here/$name" ]; then rm -f "$bin/$name"; fi
  done
  refresh
  echo "annotator: removed from the desktop. Delete $here to remove the program itself;"
  echo "your workspaces stay in ${XDG_DATA_HOME:-$HOME/.local/share}/annotator."
  exit 0
fi

mkdir -p "$apps" "$icons/256x256/apps" "$icons/scalable/apps" "$mime/packages" "$bin"
cp "$here/annotator.png" "$icons/256x256/apps/annotator.png"
cp "$here/annotator.svg" "$icons/scalable/apps/annotator.svg"
cp "$here/annotator-mime.xml" "$mime/packages/annotator-mime.xml"
# The desktop entry runs this folder's executable by its full path.
sed -e "s|^Exec=.*|Exec=\"$here/annotator\" %f|" -e "s|^TryExec=.*|TryExec=$here/annotator|" \
  "$here/annotator.desktop" >"$apps/annotator.desktop"
ln -sf "$here/annotator" "$bin/annotator"
ln -sf "$here/annotator-cli" "$bin/annotator-cli"
refresh
echo "annotator: added to the desktop menu; 'annotator' and 'annotator-cli' are in $bin."
