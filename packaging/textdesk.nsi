; TextDesk installer for Windows (NSIS 3, Modern UI 2).
;   makensis -DVERSION=0.1.0 -DDIST_DIR=dist\textdesk -DOUT_FILE=dist\TextDesk-0.1.0-setup.exe packaging\textdesk.nsi
; Installs the one-folder PyInstaller bundle, a Start-menu shortcut and an uninstaller.
; The shop's data (messages, settings, backups in %LOCALAPPDATA%\TextDesk) is kept on uninstall
; and on upgrade unless the person removing TextDesk asks for it to be deleted.

Unicode true
!include "MUI2.nsh"
!include "LogicLib.nsh"

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef DIST_DIR
  !define DIST_DIR "..\dist\textdesk"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "..\dist\TextDesk-${VERSION}-setup.exe"
!endif

!define APP "TextDesk"
!define EXE "textdesk.exe"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"

Name "${APP} ${VERSION}"
OutFile "${OUT_FILE}"
InstallDir "$PROGRAMFILES64\${APP}"
InstallDirRegKey HKLM "Software\${APP}" "InstallDir"
RequestExecutionLevel admin
SetCompressor /SOLID lzma
BrandingText "${APP} ${VERSION}"

!define MUI_ABORTWARNING
!define MUI_ICON "${DIST_DIR}\_internal\resources\textdesk.ico"
!define MUI_UNICON "${DIST_DIR}\_internal\resources\textdesk.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start TextDesk"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Section "TextDesk" SecApp
  SectionIn RO
  ; An upgrade replaces the program files only; the shop's data lives elsewhere and is migrated
  ; by TextDesk itself at its next start (a copy of the database is kept first).
  RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  File /r "${DIST_DIR}\*.*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  CreateDirectory "$SMPROGRAMS\${APP}"
  CreateShortcut "$SMPROGRAMS\${APP}\${APP}.lnk" "$INSTDIR\${EXE}"
  CreateShortcut "$SMPROGRAMS\${APP}\Uninstall ${APP}.lnk" "$INSTDIR\Uninstall.exe"
  WriteRegStr HKLM "Software\${APP}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "${APP}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
SectionEnd

Section "un.Program files" SecUnApp
  SectionIn RO
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP}\${APP}.lnk"
  Delete "$SMPROGRAMS\${APP}\Uninstall ${APP}.lnk"
  RMDir "$SMPROGRAMS\${APP}"
  DeleteRegKey HKLM "${UNINST_KEY}"
  DeleteRegKey HKLM "Software\${APP}"
SectionEnd

; Unticked by default: removing TextDesk keeps the shop's messages unless asked.
Section /o "un.Also delete all messages, contacts and settings" SecUnData
  SetShellVarContext current
  MessageBox MB_YESNO|MB_ICONEXCLAMATION "Delete every message, contact, reminder and backup kept by TextDesk for this Windows user? This cannot be undone." IDYES +2
  Return
  RMDir /r "$LOCALAPPDATA\${APP}"
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecUnApp} "Remove the TextDesk program."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecUnData} "Also delete the shop's messages, contacts, settings and backups. Leave unticked to keep them."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END
