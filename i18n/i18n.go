// Package i18n translates domain errors into the caller's language. Errors
// carry a message key and arguments (see eiam.Error); each API surface picks
// the language from its own header (X-L, x-authing-lang, Accept-Language)
// and calls Message. English and Simplified Chinese are shipped; English is
// the default.
//
// The catalogue is a Go table rather than go-i18n message files: it has two
// languages, no plural forms, and a test checks every key has both, which is
// all go-i18n would add here.
package i18n

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/language"

	"github.com/eiam/eiam"
)

// Lang is a supported message language.
type Lang string

// Supported languages.
const (
	English Lang = "en"
	Chinese Lang = "zh"
)

var matcher = language.NewMatcher([]language.Tag{language.English, language.Chinese})

// Negotiate picks a language from header values in order of precedence (the
// first non-empty one decides). Each may be a single tag ("zh", "zh-CN",
// "en_US") or an Accept-Language list. Unknown or malformed values give English.
func Negotiate(values ...string) Lang {
	for _, v := range values {
		v = strings.TrimSpace(strings.ReplaceAll(v, "_", "-"))
		if v == "" {
			continue
		}
		tags, _, err := language.ParseAcceptLanguage(v)
		if err != nil || len(tags) == 0 {
			return English
		}
		_, idx, conf := matcher.Match(tags...)
		if conf == language.No {
			return English
		}
		if idx == 1 {
			return Chinese
		}
		return English
	}
	return English
}

type text struct{ en, zh string }

// catalogue maps message keys to templates. {field} is the attribute or
// parameter name; other {placeholders} come from Error.Args.
var catalogue = map[string]text{
	"internal":               {"Internal error; please retry later.", "系统繁忙，请稍后重试。"},
	"required":               {"Parameter {field} cannot be left blank.", "参数 {field} 不能为空。"},
	"too_long":               {"Parameter {field} is too long: at most {max} characters.", "参数 {field} 过长：最多 {max} 个字符。"},
	"too_short":              {"Parameter {field} is too short: at least {min} characters.", "参数 {field} 过短：至少 {min} 个字符。"},
	"control_chars":          {"Parameter {field} contains control characters.", "参数 {field} 含有控制字符。"},
	"invalid_utf8":           {"Parameter {field} is not valid UTF-8 text.", "参数 {field} 不是有效的 UTF-8 文本。"},
	"invalid_format":         {"Parameter {field} has an invalid format: {reason}.", "参数 {field} 格式错误：{reason}。"},
	"invalid_type":           {"Parameter {field} must be {type}.", "参数 {field} 的类型必须是 {type}。"},
	"invalid_username":       {"Parameter {field} may contain only letters, digits and _ . @ -.", "参数 {field} 只能包含字母、数字和 _ . @ -。"},
	"invalid_email":          {"Parameter {field} is not a valid email address.", "参数 {field} 不是有效的邮箱地址。"},
	"invalid_phone":          {"Parameter {field} is not a valid phone number for region +{region}.", "参数 {field} 不是区号 +{region} 下有效的手机号码。"},
	"invalid_phone_region":   {"Parameter {field} must be a country calling code of 1 to 6 digits without +.", "参数 {field} 必须是 1 到 6 位数字的国际区号，不带 +。"},
	"invalid_date":           {"Parameter {field} must be a date in the form YYYY-MM-DD.", "参数 {field} 必须是 YYYY-MM-DD 格式的日期。"},
	"date_not_past":          {"Parameter {field} must be a date in the past.", "参数 {field} 必须是过去的日期。"},
	"invalid_url":            {"Parameter {field} must be an http or https URL.", "参数 {field} 必须是 http 或 https 链接。"},
	"invalid_enum":           {"Parameter {field} must be one of: {allowed}.", "参数 {field} 必须是以下值之一：{allowed}。"},
	"invalid_locale":         {"Parameter {field} must be a language tag such as en-US.", "参数 {field} 必须是语言标签，例如 zh-CN。"},
	"invalid_zoneinfo":       {"Parameter {field} must be a time zone such as Asia/Shanghai.", "参数 {field} 必须是时区，例如 Asia/Shanghai。"},
	"not_a_number":           {"Custom field {field} must be a number.", "自定义字段 {field} 必须是数字。"},
	"not_a_boolean":          {"Custom field {field} must be true or false.", "自定义字段 {field} 必须是 true 或 false。"},
	"not_an_item":            {"Custom field {field} must be one of its items: {allowed}.", "自定义字段 {field} 必须是以下选项之一：{allowed}。"},
	"unknown_field":          {"Parameter {field} is not supported by this API.", "不支持参数 {field}。"},
	"undeclared_field":       {"Custom field {field} is not defined in this instance.", "自定义字段 {field} 未在本实例中定义。"},
	"disabled_field":         {"Custom field {field} is disabled.", "自定义字段 {field} 已停用。"},
	"field_not_writable":     {"Custom field {field} cannot be changed by the user.", "用户无权修改自定义字段 {field}。"},
	"not_self_writable":      {"Parameter {field} cannot be changed through this API; use its verification flow.", "不能通过此接口修改 {field}，请使用相应的验证流程。"},
	"cannot_remove_required": {"Custom field {field} is required and cannot be removed.", "自定义字段 {field} 为必填项，不能删除。"},
	"invalid_operation":      {"Operation of {field} must be add, replace or remove.", "{field} 的操作必须是 add、replace 或 remove。"},
	"required_with":          {"Parameter {field} is required when {attr} is given.", "提供 {attr} 时必须同时提供参数 {field}。"},
	"conflict":               {"The specified resource: {field} already exist.", "{field} 已存在。"},
	"user_not_found":         {"The user {id} does not exist.", "用户 {id} 不存在。"},
	"not_found":              {"The specified {field} {id} does not exist.", "{field} {id} 不存在。"},
	"version_mismatch":       {"The user has changed: expected version {expected}, current version {actual}.", "用户已被修改：期望版本 {expected}，当前版本 {actual}。"},
	"password_policy":        {"The password does not meet the policy: {reason}.", "密码不符合策略：{reason}。"},
	"forbidden":              {"You are not allowed to perform this operation.", "您无权执行此操作。"},
	"wrong_instance":         {"The credential does not belong to instance {id}.", "凭证不属于实例 {id}。"},
	"token_invalid":          {"{field} has expired or is invalid.", "{field} 已过期或无效。"},
	"unknown_client":         {"Application {id} does not exist or its secret is wrong.", "应用 {id} 不存在或密钥错误。"},
	"bad_credentials":        {"Invalid username or password.", "无效的用户名或密码。"},
	"locked":                 {"The account is locked; retry in {seconds} seconds.", "账号已锁定，请在 {seconds} 秒后重试。"},
	"rate_limited":           {"Too many requests; retry later.", "请求过于频繁，请稍后重试。"},
	"body_too_large":         {"The request body is larger than {max} bytes.", "请求体超过 {max} 字节。"},
	"malformed_json":         {"The request body is not valid JSON: {reason}.", "请求体不是有效的 JSON：{reason}。"},
	"duplicate_key":          {"Parameter {field} appears more than once.", "参数 {field} 重复出现。"},
}

// Message renders e in lang. Unknown keys render as the key itself so a
// missing translation is visible rather than silent.
func Message(lang Lang, e *eiam.Error) string {
	t, ok := catalogue[e.Key]
	if !ok {
		return e.Key
	}
	tmpl := t.en
	if lang == Chinese {
		tmpl = t.zh
	}
	return fill(tmpl, e)
}

// MessageAll renders every violation of e (one when single), joined by "; "
// in English or "；" in Chinese.
func MessageAll(lang Lang, e *eiam.Error) string {
	if len(e.Errs) <= 1 {
		return Message(lang, e)
	}
	sep := "; "
	if lang == Chinese {
		sep = "；"
	}
	parts := make([]string, len(e.Errs))
	for i, v := range e.Errs {
		parts[i] = Message(lang, v)
	}
	return strings.Join(parts, sep)
}

func fill(tmpl string, e *eiam.Error) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	pairs := []string{"{field}", e.Field}
	keys := make([]string, 0, len(e.Args))
	for k := range e.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pairs = append(pairs, "{"+k+"}", fmt.Sprint(e.Args[k]))
	}
	return strings.NewReplacer(pairs...).Replace(tmpl)
}

// Keys returns every message key, for tests that check a dialect renders all.
func Keys() []string {
	out := make([]string, 0, len(catalogue))
	for k := range catalogue {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
