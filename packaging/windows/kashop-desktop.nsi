; kashop-desktop Windows installer (NSIS 3, Modern UI 2).
;
; Build on Windows, from the repository root, after the PyInstaller build:
;   pyinstaller packaging\kashop-desktop.spec
;   makensis /DVERSION=0.1.0 /DPAYLOAD=dist\kashop-desktop packaging\windows\kashop-desktop.nsi
; CI compiles the same script on Linux over the Linux payload or a placeholder directory
; (packaging/build_windows_nsis.sh), so script errors fail CI.
;
; Defines: VERSION (required), PAYLOAD (required: the PyInstaller one-folder output, absolute or
; relative to the repository root), OUTFILE and COMPRESSOR (optional).
;
; The owner's data (orders database, backups, logs: %LOCALAPPDATA%\kashop-desktop, and
; %APPDATA%\kashop-desktop if present) is never touched by installing, upgrading or
; uninstalling, unless the owner ticks "also delete my data" on the uninstaller (off by default).

Unicode true
ManifestDPIAware true
RequestExecutionLevel admin
; Release installers use solid LZMA; CI's compile checks pass /DCOMPRESSOR=zlib to stay quick.
!ifdef COMPRESSOR
  SetCompressor ${COMPRESSOR}
!else
  SetCompressor /SOLID lzma
!endif

!include "MUI2.nsh"
!include "x64.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"

!ifndef VERSION
  !error "pass the version: makensis /DVERSION=x.y.z ..."
!endif
!ifndef PAYLOAD
  !error "pass the PyInstaller output folder: makensis /DPAYLOAD=dist\kashop-desktop ..."
!endif

; makensis changes into this script's folder before compiling (unless /NOCD), so the repository
; root is two levels up, and a relative PAYLOAD (given from the repository root, as documented)
; is looked up from there. Forward slashes work for makensis on Windows and on Linux.
!if /FileExists "../../packaging/windows/kashop-desktop.nsi"
  !define REPO_ROOT "../.."
!else
  !define REPO_ROOT "${__FILEDIR__}/../.."
!endif
!if /FileExists "${PAYLOAD}/_internal"
  !define PAYLOAD_DIR "${PAYLOAD}"
!else if /FileExists "${REPO_ROOT}/${PAYLOAD}/_internal"
  !define PAYLOAD_DIR "${REPO_ROOT}/${PAYLOAD}"
!else
  !error "no PyInstaller one-folder build (with its _internal folder) at ${PAYLOAD}"
!endif

; VIProductVersion needs four numbers: 1.2.3rc1+local -> 1.2.3.0
!searchparse /noerrors "${VERSION}" "" V_MAJOR "." V_MINOR "." V_PATCH_RAW
!ifndef V_MAJOR
  !define V_MAJOR 0
!endif
!ifndef V_MINOR
  !define V_MINOR 0
!endif
!ifndef V_PATCH_RAW
  !define V_PATCH_RAW 0
!endif
!searchreplace V_PATCH_1 "${V_PATCH_RAW}" "+" " "
!searchreplace V_PATCH_2 "${V_PATCH_1}" "rc" " "
!searchreplace V_PATCH_3 "${V_PATCH_2}" "a" " "
!searchreplace V_PATCH_4 "${V_PATCH_3}" "b" " "
!searchreplace V_PATCH_5 "${V_PATCH_4}" ".dev" " "
!searchparse /noerrors "${V_PATCH_5} " "" V_PATCH " "
!ifndef V_PATCH
  !define V_PATCH 0
!endif

!define APP_ID "kashop-desktop"
!define APP_EXE "kashop-desktop.exe"
!define APP_PUBLISHER "kashop-desktop"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define SETTINGS_KEY "Software\kashop\kashop-desktop"
!define ICON "${REPO_ROOT}/resources/icons/kashop.ico"

!ifndef OUTFILE
  !define OUTFILE "${REPO_ROOT}/dist/kashop-desktop-${VERSION}-setup.exe"
!endif

Name "$(APP_NAME)"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APP_ID}"
InstallDirRegKey HKLM "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APP_ID} ${VERSION}"

VIProductVersion "${V_MAJOR}.${V_MINOR}.${V_PATCH}.0"
VIAddVersionKey /LANG=0 "ProductName" "kashop-desktop"
VIAddVersionKey /LANG=0 "FileDescription" "kashop-desktop setup"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "CompanyName" "${APP_PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "kashop-desktop maintainers"

; ---- Modern UI ---------------------------------------------------------------------------------
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_UNABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC
!define MUI_LANGDLL_REGISTRY_ROOT HKLM
!define MUI_LANGDLL_REGISTRY_KEY "${UNINSTALL_KEY}"
!define MUI_LANGDLL_REGISTRY_VALUENAME "InstallerLanguage"
!define MUI_LANGDLL_ALLLANGUAGES

!define MUI_WELCOMEPAGE_TEXT "$(WELCOME_TEXT)"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "$(FINISH_RUN)"
!insertmacro MUI_PAGE_FINISH

!define MUI_UNCONFIRMPAGE_TEXT_TOP "$(UN_CONFIRM_TEXT)"
!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_COMPONENTSPAGE_TEXT_TOP "$(UN_COMPONENTS_TEXT)"
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; Chinese first: it is the default and the first entry of the language dialog.
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_RESERVEFILE_LANGDLL

; ---- every custom text, in both languages --------------------------------------------------------
LangString APP_NAME ${LANG_SIMPCHINESE} "卡店订单台"
LangString APP_NAME ${LANG_ENGLISH} "kashop desk"
LangString WELCOME_TEXT ${LANG_SIMPCHINESE} "安装程序将把卡店订单台 ${VERSION} 安装到这台电脑。$\r$\n$\r$\n店铺数据（订单数据库、备份和日志）保存在你的用户文件夹里，升级或卸载都不会动它们。$\r$\n$\r$\n点击“下一步”继续。"
LangString WELCOME_TEXT ${LANG_ENGLISH} "Setup will install kashop desk ${VERSION} on this computer.$\r$\n$\r$\nYour shop's data (orders database, backups and logs) lives in your user folder; upgrading or uninstalling never touches it.$\r$\n$\r$\nClick Next to continue."
LangString SEC_APP ${LANG_SIMPCHINESE} "卡店订单台（必需）"
LangString SEC_APP ${LANG_ENGLISH} "kashop desk (required)"
LangString SEC_APP_DESC ${LANG_SIMPCHINESE} "程序文件和开始菜单快捷方式。"
LangString SEC_APP_DESC ${LANG_ENGLISH} "The program files and the Start menu shortcuts."
LangString SEC_DESKTOP ${LANG_SIMPCHINESE} "桌面快捷方式"
LangString SEC_DESKTOP ${LANG_ENGLISH} "Desktop shortcut"
LangString SEC_DESKTOP_DESC ${LANG_SIMPCHINESE} "在桌面上放一个卡店订单台的快捷方式。"
LangString SEC_DESKTOP_DESC ${LANG_ENGLISH} "Put a kashop desk shortcut on the desktop."
LangString SHORTCUT_APP ${LANG_SIMPCHINESE} "卡店订单台"
LangString SHORTCUT_APP ${LANG_ENGLISH} "kashop desk"
LangString SHORTCUT_UNINSTALL ${LANG_SIMPCHINESE} "卸载卡店订单台"
LangString SHORTCUT_UNINSTALL ${LANG_ENGLISH} "Uninstall kashop desk"
LangString SHORTCUT_DATA ${LANG_SIMPCHINESE} "店铺数据文件夹"
LangString SHORTCUT_DATA ${LANG_ENGLISH} "Shop data folder"
LangString FINISH_RUN ${LANG_SIMPCHINESE} "运行卡店订单台"
LangString FINISH_RUN ${LANG_ENGLISH} "Run kashop desk"
LangString NEED_64BIT ${LANG_SIMPCHINESE} "卡店订单台需要 64 位 Windows 10 或更新版本。"
LangString NEED_64BIT ${LANG_ENGLISH} "kashop desk needs 64-bit Windows 10 or later."
LangString APP_RUNNING ${LANG_SIMPCHINESE} "卡店订单台正在运行。请先关闭它，再点“重试”。"
LangString APP_RUNNING ${LANG_ENGLISH} "kashop desk is running. Close it, then click Retry."
LangString UN_CONFIRM_TEXT ${LANG_SIMPCHINESE} "将从这台电脑上卸载卡店订单台。店铺数据会保留，除非你在下一页勾选“同时删除我的数据”。"
LangString UN_CONFIRM_TEXT ${LANG_ENGLISH} "kashop desk will be removed from this computer. Your shop's data is kept unless you tick $\"also delete my data$\" on the next page."
LangString UN_COMPONENTS_TEXT ${LANG_SIMPCHINESE} "选择要卸载的内容。默认只卸载程序，订单数据库、备份和日志都会保留。"
LangString UN_COMPONENTS_TEXT ${LANG_ENGLISH} "Choose what to remove. By default only the program is removed; the orders database, backups and logs are kept."
LangString UN_SEC_APP ${LANG_SIMPCHINESE} "程序文件和快捷方式"
LangString UN_SEC_APP ${LANG_ENGLISH} "Program files and shortcuts"
LangString UN_SEC_APP_DESC ${LANG_SIMPCHINESE} "删除程序、开始菜单和桌面快捷方式。"
LangString UN_SEC_APP_DESC ${LANG_ENGLISH} "Remove the program and its Start menu and desktop shortcuts."
LangString UN_SEC_DATA ${LANG_SIMPCHINESE} "同时删除我的数据（订单数据库、备份、日志、设置）"
LangString UN_SEC_DATA ${LANG_ENGLISH} "Also delete my data (orders database, backups, logs, settings)"
LangString UN_SEC_DATA_DESC ${LANG_SIMPCHINESE} "永久删除当前用户的 %LOCALAPPDATA%\kashop-desktop 和 %APPDATA%\kashop-desktop。无法恢复！"
LangString UN_SEC_DATA_DESC ${LANG_ENGLISH} "Permanently delete %LOCALAPPDATA%\kashop-desktop and %APPDATA%\kashop-desktop of the current user. This cannot be undone!"
LangString UN_DATA_CONFIRM ${LANG_SIMPCHINESE} "确定要永久删除店铺数据吗？订单数据库和所有备份都会被删除，无法恢复。"
LangString UN_DATA_CONFIRM ${LANG_ENGLISH} "Permanently delete the shop's data? The orders database and every backup will be deleted and cannot be recovered."
LangString UN_DATA_KEPT ${LANG_SIMPCHINESE} "店铺数据已保留："
LangString UN_DATA_KEPT ${LANG_ENGLISH} "Shop data kept in:"

; ---- install -----------------------------------------------------------------------------------
Section "!$(SEC_APP)" SecApp
  SectionIn RO
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  ; An upgrade replaces the whole program folder, so no library of the old version lingers.
  ; Only the program folder: the owner's data lives elsewhere (see the top of this file).
  RMDir /r "$INSTDIR\_internal"
  File /r "${PAYLOAD_DIR}/*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\$(SHORTCUT_APP)"
  CreateShortcut "$SMPROGRAMS\$(SHORTCUT_APP)\$(SHORTCUT_APP).lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0
  CreateShortcut "$SMPROGRAMS\$(SHORTCUT_APP)\$(SHORTCUT_UNINSTALL).lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "$(APP_NAME)"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${APP_PUBLISHER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "$(SEC_DESKTOP)" SecDesktop
  SetShellVarContext all
  CreateShortcut "$DESKTOP\$(SHORTCUT_APP).lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "$(SEC_APP_DESC)"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "$(SEC_DESKTOP_DESC)"
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "$(NEED_64BIT)"
    Abort
  ${EndIf}
  SetRegView 64
  !insertmacro MUI_LANGDLL_DISPLAY
FunctionEnd

; ---- uninstall ---------------------------------------------------------------------------------
Section "!un.$(UN_SEC_APP)" UnSecApp
  SectionIn RO
  SetShellVarContext all
  Delete "$DESKTOP\$(SHORTCUT_APP).lnk"
  Delete "$SMPROGRAMS\$(SHORTCUT_APP)\*.lnk"
  RMDir "$SMPROGRAMS\$(SHORTCUT_APP)"
  ; Shortcuts made under the other language's name.
  Delete "$DESKTOP\卡店订单台.lnk"
  Delete "$DESKTOP\kashop desk.lnk"
  RMDir /r "$SMPROGRAMS\卡店订单台"
  RMDir /r "$SMPROGRAMS\kashop desk"
  ; The program folder only: what the installer put there.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\kashop-desktop.exe"
  Delete "$INSTDIR\kashop-desktop-cli.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
SectionEnd

; /o: not selected unless the owner ticks it.
Section /o "un.$(UN_SEC_DATA)" UnSecData
  MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON2 "$(UN_DATA_CONFIRM)" /SD IDNO IDYES delete_data
    Goto keep_data
  delete_data:
  ; The data belongs to the user who runs the uninstaller, not to "all users".
  SetShellVarContext current
  RMDir /r "$LOCALAPPDATA\kashop-desktop"
  RMDir /r "$APPDATA\kashop-desktop"
  DeleteRegKey HKCU "${SETTINGS_KEY}"
  DeleteRegKey /ifempty HKCU "Software\kashop"
  keep_data:
SectionEnd

Section "-un.report"
  SetShellVarContext current
  ${If} ${FileExists} "$LOCALAPPDATA\kashop-desktop\*.*"
    DetailPrint "$(UN_DATA_KEPT) $LOCALAPPDATA\kashop-desktop"
  ${EndIf}
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecApp} "$(UN_SEC_APP_DESC)"
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecData} "$(UN_SEC_DATA_DESC)"
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END

Function un.onInit
  SetRegView 64
  !insertmacro MUI_UNGETLANGUAGE
FunctionEnd
