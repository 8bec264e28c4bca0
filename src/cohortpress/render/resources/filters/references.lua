--[[
references.lua: the citations, and where the bibliography goes when the manuscript does not say.

citeproc writes the reference list into the div #refs; without one it would append the list,
untitled, after everything, the appendices included. When the manuscript cites and has no
#refs div, this filter adds a "References" section before the first appendix section (a heading with the class
`appendix`, as Quarto marks them), else at the end, at the level of the document's top
headings. Runs after crossref.lua (whose references are no longer citations).

Then it runs citeproc (the embedded engine does not pass --citeproc), but only on a document
that cites, lists uncited references (nocite) or places the list (#refs): on any other, as the
supplement and the data report, citeproc changes nothing and costs a third of pandoc's pass.

What citeproc made of a document's citations is kept between runs in the folder named by
COHORTPRESS_CITEPROC (cohortpress's kept renders), so that a text edit that leaves the
citations as they were does not run it again (0.1 s of a 0.25 s pass). An entry is found by a
SHA-1 over everything citeproc reads: the citations in order (and where notes fall among
them), the document's metadata, the citation style, the bibliographies and abbreviations as
bytes, pandoc's version and this filter's code. Neither the output format nor the metadata
the formats set apart (`toc-title`; the PDF's page settings are template variables): citeproc
makes pandoc's document, the same for every writer, so one result serves every format, and
the DOCX pass a first run starts once the figures are drawn finds the HTML pass's. A style
that cannot be read here, a note style (whose citations become footnotes), or a result that is
not the citations and one #refs div filled is never kept: citeproc runs as before. citeproc's
warnings (a key found in no bibliography) are kept with the result and written again on a hit,
as pandoc writes them. COHORTPRESS_CITEPROC_READ=0 (--no-cache): run citeproc and replace the
entry.
]]

local CACHE = os.getenv("COHORTPRESS_CITEPROC")
local READ = os.getenv("COHORTPRESS_CITEPROC_READ") ~= "0"
local CACHE_FORMAT = "references.lua 2" -- raised when what an entry holds or means changes
local SUFFIX = ".citeproc"
local PER_FORMAT = { ["toc-title"] = true } -- set by each format's options; citeproc never reads it
local LEVELS = { ERROR = 1, WARNING = 2, INFO = 3 }
local stringify = pandoc.utils.stringify

local function read_file(path)
  local file = io.open(path, "rb")
  if file == nil then
    return nil
  end
  local content = file:read("a")
  file:close()
  return content
end

--- A metadata value as a list of file names.
local function names(value)
  if value == nil then
    return {}
  end
  if pandoc.utils.type(value) == "List" then
    return value:map(stringify)
  end
  return { stringify(value) }
end

--- The citations and notes of ``doc``, in the order the walk meets them (the same order in
--- which ``restore`` puts the kept citations back).
local function citations(doc)
  local found, sequence = pandoc.Inlines({}), pandoc.Inlines({})
  doc:walk({
    Cite = function(cite)
      found:insert(cite)
      sequence:insert(cite)
    end,
    Note = function()
      sequence:insert(pandoc.Str("\0note"))
    end,
  })
  return found, sequence
end

local function refs_divs(doc)
  local divs = pandoc.Blocks({})
  doc:walk({
    Div = function(div)
      if div.identifier == "refs" then
        divs:insert(div)
      end
    end,
  })
  return divs
end

--- The key of ``doc``'s citeproc result, or nil when it is not to be kept.
local function cache_key(doc)
  local meta = doc.meta
  local code = read_file(PANDOC_SCRIPT_FILE) or ""
  local parts = { CACHE_FORMAT, tostring(PANDOC_VERSION), code }
  local style = meta.csl or meta["citation-style"]
  if style ~= nil then
    local csl = read_file(stringify(style))
    if csl == nil or csl:find('class%s*=%s*["\']note["\']') then
      return nil
    end
    parts[#parts + 1] = csl
  end
  for _, key in ipairs({ "bibliography", "citation-abbreviations" }) do
    for _, name in ipairs(names(meta[key])) do
      local content = read_file(name)
      if content == nil then
        return nil
      end
      parts[#parts + 1] = name .. "\0" .. content
    end
  end
  local _, sequence = citations(doc)
  local shared = {}
  for name, value in pairs(meta) do
    if not PER_FORMAT[name] then
      shared[name] = value
    end
  end
  parts[#parts + 1] = pandoc.write(pandoc.Pandoc({ pandoc.Plain(sequence) }, shared), "json")
  return pandoc.utils.sha1(table.concat(parts, "\0\0"))
end

local function warn_again(warnings)
  local shown = LEVELS[PANDOC_STATE.verbosity] or LEVELS.WARNING
  for _, line in ipairs(warnings) do
    local level, text = line:match("^(%u+)\t(.*)$")
    if level ~= nil and (LEVELS[level] or 0) <= shown then
      io.stderr:write("[" .. level .. "] " .. text .. "\n")
    end
  end
end

--- ``doc`` with the kept result in place of citeproc's work, or nil when the entry does not
--- fit it (unreadable, or another number of citations or #refs divs).
local function restore(doc, entry)
  local ok, kept = pcall(pandoc.read, entry, "json")
  if not ok or #kept.blocks ~= 2 then
    return nil
  end
  local refs, cites = kept.blocks[1], kept.blocks[2].content
  if #citations(doc) ~= #cites or #refs_divs(doc) ~= 1 then
    return nil
  end
  local i = 0
  doc = doc:walk({
    Cite = function()
      i = i + 1
      return cites[i]
    end,
  })
  doc = doc:walk({
    Div = function(div)
      if div.identifier == "refs" then
        return refs
      end
    end,
  })
  warn_again(names(kept.meta.warnings))
  return doc
end

--- pandoc's log messages (``pandoc.log.silence`` lists the newest first) as "LEVEL<tab>text",
--- oldest first, the text as pandoc writes it.
local function as_lines(messages)
  local lines = {}
  for i = #messages, 1, -1 do
    local decoded = pandoc.json.decode(pandoc.json.encode(messages[i]), false)
    lines[#lines + 1] = decoded.verbosity .. "\t" .. decoded.pretty
  end
  return lines
end

local function keep(path, result, cited, warnings)
  local cites, refs = citations(result), refs_divs(result)
  if #cites ~= cited or #refs ~= 1 then
    return
  end
  local kept = pandoc.Pandoc({ refs[1], pandoc.Plain(cites) }, { warnings = warnings })
  local temporary = CACHE .. "/." .. pandoc.utils.sha1(path .. tostring(os.clock())) .. ".tmp"
  local file = io.open(temporary, "wb")
  if file == nil then
    return -- a folder that cannot be written is left as it is: the cache only saves time
  end
  file:write(pandoc.write(kept, "json"))
  file:close()
  if not os.rename(temporary, path) then
    os.remove(temporary)
  end
end

--- citeproc on ``doc``, or its result kept from an earlier run of the same input.
local function citeproc(doc)
  local key = CACHE and CACHE ~= "" and cache_key(doc)
  if not key then
    return pandoc.utils.citeproc(doc)
  end
  local path = CACHE .. "/" .. key .. SUFFIX
  local entry = READ and read_file(path)
  local restored = entry and restore(doc, entry)
  if restored then
    return restored
  end
  local cited = #citations(doc)
  local messages, result = pandoc.log.silence(pandoc.utils.citeproc, doc)
  local warnings = as_lines(messages)
  warn_again(warnings)
  keep(path, result, cited, warnings)
  return result
end

function Pandoc(doc)
  local has_refs, cites = false, false
  doc:walk({
    Div = function(div)
      if div.identifier == "refs" then has_refs = true end
    end,
    Cite = function()
      cites = true
    end,
  })
  if not cites and not has_refs and doc.meta.nocite == nil then
    return nil
  end
  if has_refs or not cites then
    return citeproc(doc)
  end
  local level, at = nil, #doc.blocks + 1
  for i, block in ipairs(doc.blocks) do
    if block.t == "Header" then
      level = math.min(level or block.level, block.level)
      if at > #doc.blocks and block.classes:includes("appendix") then
        at = i
      end
    end
  end
  doc.blocks:insert(at, pandoc.Div({}, pandoc.Attr("refs")))
  doc.blocks:insert(at, pandoc.Header(level or 1, "References", pandoc.Attr("references", { "unnumbered" })))
  return citeproc(doc)
end
