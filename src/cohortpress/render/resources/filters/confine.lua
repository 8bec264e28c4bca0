--[[
confine.lua: the manuscript loads nothing from outside the staging folder or the network.

pandoc runs with --sandbox, so its readers and writers read no file that is not named on the
command line. Images (and the files raw HTML points to) are checked here and, when they are
files of the staging folder, put into pandoc's media bag, from where the DOCX writer embeds
them. Anything else stops the render with its target named: a remote URL, an absolute
path, a path leading out of the folder (../, or a symlink whose target is outside; the
staging folder's files are listed by cohortpress in COHORTPRESS_FILES), a file that does not
exist. Links are not loads and stay as written, except file: and javascript: links.
]]

local ALLOWED = {}
for line in (os.getenv("COHORTPRESS_FILES") or ""):gmatch("[^\n]+") do
  ALLOWED[line] = true
end

local MIME = {
  png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg", gif = "image/gif",
  svg = "image/svg+xml", webp = "image/webp", pdf = "application/pdf", css = "text/css",
  woff = "font/woff", woff2 = "font/woff2", ttf = "font/ttf", otf = "font/otf",
}
-- attributes whose value is loaded by a browser (href only outside <a>)
local LOADED = { src = true, srcset = true, poster = true, data = true, background = true,
  href = true, ["xlink:href"] = true }

local function fail(what, target, why)
  error(string.format("[cohortpress] %s '%s': %s", what, target, why), 0)
end

local function is_remote(target)
  return target:match("^%a[%w+.-]*:") ~= nil or target:match("^//") ~= nil
end

--- The staging-folder file ``target`` names, put into the media bag; a failure otherwise,
--- naming the target as ``written`` in the source when that differs (character references).
--- An SVG is refused (Word) unless ``vector``: one of cohortpress's figures in a format that
--- sets its SVG.
local function admit(what, target, written, vector)
  if target == "" or target:match("^#") or target:match("^data:") then
    return
  end
  local shown = target
  if written and written ~= target then
    shown = written .. "' (read as '" .. target .. "')"
  end
  if is_remote(target) then
    fail(what, shown, "a remote resource; the render loads nothing from the network, " ..
      "put the file in the study folder")
  end
  local path = target:gsub("[?#].*$", "")
  if path:lower():match("%.svg$") and not vector then
    fail(what, shown, "an SVG image, which older Word and LibreOffice show as an " ..
      "empty frame; export it as PNG (300 dpi) or JPEG")
  end
  if pandoc.path.is_absolute(path) then
    fail(what, shown, "an absolute path; write it relative to the study folder")
  end
  path = pandoc.path.normalize(path):gsub("^%./", "")
  if path == ".." or path:match("^%.%./") then
    fail(what, shown, "outside the staging folder")
  end
  if not ALLOWED[path] then
    fail(what, shown, "no such file in the study folder (an image is found relative to " ..
      "manuscript.qmd; hidden folders and those starting with _ are not read), or a link to " ..
      "a file outside it")
  end
  -- The DOCX writer embeds from the media bag; the HTML page is made self-contained by
  -- cohortpress (render/_embed.py) and Typst reads the files itself.
  if FORMAT == "docx" and pandoc.mediabag.lookup(target) == nil then
    local file = assert(io.open(path, "rb"))
    local contents = file:read("a")
    file:close()
    local ext = (path:match("%.(%w+)$") or ""):lower()
    pandoc.mediabag.insert(target, MIME[ext] or "application/octet-stream", contents)
  end
end

--- The files CSS loads: url() and @import.
local function check_css(css)
  for value in css:gmatch("url%(%s*[\"']?([^\"')]+)") do
    admit("resource", value)
  end
  for value in css:gmatch("@import%s+[\"']([^\"']+)") do
    admit("resource", value)
  end
end

--- A srcset's image URLs, as the HTML standard parses them: a URL runs to the next space (so a
--- data URI keeps its comma), then its descriptors to the next comma.
local function srcset_urls(value)
  local urls, position = {}, 1
  while true do
    local _, last, url = value:find("^[%s,]*(%S+)", position)
    if not url then
      return urls
    end
    position = last + 1
    if url:match(",$") then
      urls[#urls + 1] = (url:gsub(",+$", ""))
    else
      urls[#urls + 1] = url
      local _, stop = value:find("^[^,]*,?", position)
      position = stop + 1
    end
  end
end

-- Character references an attribute value may use for what confine.lua reads in it; a browser
-- decodes every one (cohortpress's _embed.py too). One this table lacks, or a name without its
-- ";", stays as written: the target is then no staged file and the render stops, so nothing
-- passes undecoded.
local NAMED = {
  amp = "&", lt = "<", gt = ">", quot = '"', apos = "'", colon = ":", sol = "/", bsol = "\\",
  period = ".", comma = ",", lpar = "(", rpar = ")", num = "#", quest = "?", equals = "=",
  percnt = "%",
}

local function character(number)
  local surrogate = number and number >= 0xD800 and number <= 0xDFFF
  if number and number > 0 and number <= 0x10FFFF and not surrogate then
    return utf8.char(number)
  end
  return nil -- kept as written
end

--- An attribute's value as the browser reads it: its character references decoded, in one
--- pass (so "&amp;quot;" is "&quot;", as in a browser, not a quote).
local function attribute_value(value)
  return (value:gsub("&(#?)([xX]?)(%w+)(;?)", function(hash, x, body, semicolon)
    if hash == "#" and x ~= "" then
      return character(body:match("^%x+$") and tonumber(body, 16))
    elseif hash == "#" then
      return character(body:match("^%d+$") and tonumber(body))
    elseif semicolon == ";" then
      return NAMED[x .. body]
    end
    return nil
  end))
end

--- What one attribute of a tag loads, its value read as written: CSS in a style attribute,
--- a srcset's URLs, a loading attribute's target.
local function check_attribute(tag, name, written)
  name = name:lower()
  local value = attribute_value(written)
  if name == "style" then
    check_css(value)
  elseif name == "srcset" then
    for _, url in ipairs(srcset_urls(value)) do
      admit("resource", url)
    end
  elseif LOADED[name] and not (name == "href" and tag:lower() == "a") then
    admit("resource", value, written)
  end
end

--- What raw HTML loads: the loading attributes of its tags, and CSS in <style> elements and
--- style attributes. Text between tags is not looked at: "url(…)" written in a table cell (a
--- workbook's text, escaped by great_tables) loads nothing.
local function check_raw_html(text)
  for tag, attrs in text:gmatch("<%s*([%w:-]+)([^>]*)>") do
    for name, _, written in attrs:gmatch("([%w:-]+)%s*=%s*([\"'])(.-)%2") do
      check_attribute(tag, name, written)
    end
    for name, written in attrs:gmatch("([%w:-]+)%s*=%s*([^%s\"'][^%s>]*)") do
      check_attribute(tag, name, written)
    end
  end
  local style = "<%s*[Ss][Tt][Yy][Ll][Ee][^>]*>(.-)<%s*/%s*[Ss][Tt][Yy][Ll][Ee]%s*>"
  for element in text:gmatch(style) do
    check_css(element)
  end
end

local function check_link(link)
  local scheme = (link.target:match("^(%a[%w+.-]*):") or ""):lower()
  if scheme == "file" or scheme == "javascript" or scheme == "vbscript" then
    fail("link", link.target, "a " .. scheme .. ": link is not allowed")
  end
end

local function check_raw(raw)
  if raw.format == "html" or raw.format == "html5" then
    check_raw_html(raw.text)
  elseif raw.format == "typst" and raw.text:match("[\"']@%w+/") then
    fail("raw Typst", raw.text:match("[\"'](@%w+/[^\"']*)") or "@", "Typst packages are " ..
      "downloaded from the network, which the render does not do")
  end
end

--- The stylesheets (--css) the HTML page embeds: pandoc's sandbox would not read them.
local function admit_stylesheets()
  local css = PANDOC_WRITER_OPTIONS.variables and PANDOC_WRITER_OPTIONS.variables.css
  if type(css) == "string" then
    css = { css }
  end
  for _, path in ipairs(css or {}) do
    admit("stylesheet", tostring(path))
  end
end

return {
  {
    Pandoc = function() admit_stylesheets() end,
    Image = function(img)
      -- vector.lua, run before in the HTML page and the PDF, set the figure's SVG
      local vector = img.classes:includes("cp-vector") and FORMAT ~= "docx"
      admit("image", img.src, nil, vector)
    end,
    Link = check_link,
    RawBlock = check_raw,
    RawInline = check_raw,
  },
}
