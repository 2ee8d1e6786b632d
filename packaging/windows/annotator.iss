; Inno Setup script: a per-user installer (no admin rights) for the one-folder Windows build.
;
; Build the folder first (python packaging\build.py runs this script too when iscc is found):
;   iscc /DAppVersion=0.1.0 /DSourceDir=dist\annotator-0.1.0 /DOutputDir=dist packaging\windows\annotator.iss
;
; Defines: AppVersion (required, e.g. 0.1.0 or 0.2.0rc1), AppVersionNumeric (x.y.z, for the file
; version resource; default AppVersion), SourceDir (the one-folder build), OutputDir (default: dist
; beside this repository's packaging folder).
; Needs Inno Setup 6.3 or later (x64compatible, HKA).

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z ...
#endif
#ifndef AppVersionNumeric
  #define AppVersionNumeric AppVersion
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\annotator-" + AppVersion
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#define AppName "annotator"
#define AppExe "annotator.exe"
#define ProgId "annotator.jsonl"
#define WorkspaceProgId "annotator.workspace"

[Setup]
; AppId identifies the product for upgrades and uninstall: never change it.
AppId={{4E0C7B1A-6F5E-4C9B-9A55-2B8E3D1F7A41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=annotator
VersionInfoVersion={#AppVersionNumeric}
VersionInfoProductVersion={#AppVersionNumeric}
VersionInfoDescription={#AppName} setup
; Per user, no UAC prompt: installs into %LOCALAPPDATA%\Programs\annotator and writes HKCU only.
PrivilegesRequired=lowest
; IT can still install for all users from the command line: setup.exe /ALLUSERS
PrivilegesRequiredOverridesAllowed=commandline
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
SetupIconFile=..\..\resources\icons\annotator.ico
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-setup
; The app must not run while its files are replaced or removed.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole program folder: no stale library of an older version survives.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Review LLM-judge vs human-rater disagreements"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; "Open with annotator" for .jsonl, without taking the default program away from the user.
Root: HKA; Subkey: "Software\Classes\.jsonl\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "JSON Lines case file"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
; Workspaces (.annotator) belong to annotator: opened by a double click.
Root: HKA; Subkey: "Software\Classes\.annotator"; ValueType: string; ValueName: ""; ValueData: "{#WorkspaceProgId}"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.annotator\OpenWithProgids"; ValueType: string; ValueName: "{#WorkspaceProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#WorkspaceProgId}"; ValueType: string; ValueName: ""; ValueData: "annotator workspace"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#WorkspaceProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\{#WorkspaceProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
; The application's own entry, which the "Open with" list shows by its friendly name.
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".jsonl"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".annotator"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Everything under the program folder (nothing else is ever written there). The user's
; workspaces and settings in %LOCALAPPDATA%\annotator are theirs and stay.
Type: filesandordirs; Name: "{app}"
