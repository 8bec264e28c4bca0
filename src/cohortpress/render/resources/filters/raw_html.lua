--[[
raw_html.lua: raw HTML in a manuscript, as each output format needs it.

HTML output keeps raw HTML as written (great_tables tables keep their own CSS); only remote
@import rules are removed, so the page loads nothing from the network.

DOCX and Typst cannot show raw HTML, so it is read back into Pandoc elements with
pandoc.read(html, "html"), as Quarto does for HTML tables. A great_tables table then becomes a
Pandoc table whose column alignment comes from great_tables' gt_left/gt_center/gt_right classes;
stub rows under a row-group heading and rows with gt_indent_N are marked with a `cp-indent`
level, row-group headings with the class `cp-group`, and the table foot (footnotes and source
notes) becomes a `cp-table-notes` div after the table, so each format can set it as small text
under the table. The output formats style these marks (docx.lua, typst.lua).
]]

local ALIGN = { gt_left = "AlignLeft", gt_center = "AlignCenter", gt_right = "AlignRight" }

local function is_html(format)
  return format == "html" or format == "html5"
end

local function strip_remote_imports(text)
  text = text:gsub("@import%s+url%(%s*[\"']?https?://[^)]*%)[^;\n]*;?", "")
  text = text:gsub("@import%s+[\"']https?://[^\"']*[\"'][^;\n]*;?", "")
  return text
end

local function class_align(cell)
  for _, class in ipairs(cell.attr.classes) do
    if ALIGN[class] then
      return ALIGN[class]
    end
  end
  return nil
end

local function class_indent(cell)
  for _, class in ipairs(cell.attr.classes) do
    local level = class:match("^gt_indent_(%d+)$")
    if level then
      return tonumber(level)
    end
  end
  return 0
end

--- Column alignment from the first body cell of each column that names one.
local function align_columns(tbl)
  local found = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local col = 1
      for _, cell in ipairs(row.cells) do
        if cell.col_span == 1 and found[col] == nil then
          found[col] = class_align(cell)
        end
        col = col + cell.col_span
      end
    end
  end
  for col, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[col] = { found[col] or spec[1], spec[2] }
  end
end

--- Cells follow their column's alignment; header spanners are centred over their columns.
local function align_cells(rows, spanner_align)
  for _, row in ipairs(rows) do
    for _, cell in ipairs(row.cells) do
      cell.alignment = cell.col_span > 1 and spanner_align or "AlignDefault"
    end
  end
end

local function is_group_heading(row, ncols)
  local first = row.cells[1]
  return #row.cells == 1 and (first.col_span == ncols or first.attr.classes:includes("gt_group_heading"))
end

local function mark_rows(tbl)
  local ncols = #tbl.colspecs
  local in_group = false
  for _, body in ipairs(tbl.bodies) do
    -- pandoc reads a leading row of <th> cells (great_tables' first row-group heading) as the
    -- body's intermediate head; it is an ordinary row of the table
    body.body = body.head .. body.body
    body.head = {}
    for _, row in ipairs(body.body) do
      if is_group_heading(row, ncols) then
        row.attr.classes:insert("cp-group")
        in_group = true
      elseif #row.cells > 0 then
        local level = class_indent(row.cells[1]) + (in_group and 1 or 0)
        if level > 0 then
          row.cells[1].attr.attributes["cp-indent"] = tostring(level)
        end
      end
    end
    align_cells(body.body, "AlignLeft")
  end
  align_cells(tbl.head.rows, "AlignCenter")
end

--- The table foot as paragraphs, one per footnote or source note; the foot is emptied.
local function take_notes(tbl)
  local notes = pandoc.Blocks({})
  for _, row in ipairs(tbl.foot.rows) do
    for _, cell in ipairs(row.cells) do
      local inlines = pandoc.utils.blocks_to_inlines(cell.contents)
      if #inlines > 0 then
        notes:insert(pandoc.Para(inlines))
      end
    end
  end
  tbl.foot = pandoc.TableFoot()
  return notes
end

local function normalise_table(tbl)
  align_columns(tbl)
  mark_rows(tbl)
  local notes = take_notes(tbl)
  tbl.attr = pandoc.Attr()
  if #notes == 0 then
    return tbl
  end
  return { tbl, pandoc.Div(notes, { class = "cp-table-notes" }) }
end

local function drop_empty(block)
  if #block.content == 0 then
    return {}
  end
end

--- Raw HTML read back as Pandoc blocks, without what cannot be shown outside HTML (<style>,
--- <script>); wrapper divs (great_tables' <div id="table1">) are dropped so that a table is a
--- direct child of its cross-reference div.
local function html_blocks(text)
  local blocks = pandoc.read(text, "html").blocks
  blocks = blocks:walk({
    Div = function(div) return div.content end,
    RawInline = function() return {} end,
    RawBlock = function() return {} end,
  })
  blocks = blocks:walk({ Plain = drop_empty, Para = drop_empty })
  return blocks:walk({ Table = normalise_table })
end

local function has_raw_html(inlines)
  for _, inline in ipairs(inlines) do
    if inline.t == "RawInline" and is_html(inline.format) then
      return true
    end
  end
  return false
end

--- A paragraph with inline HTML (<sup>, <br>, …) goes through HTML and back, so its tags
--- become Pandoc elements instead of being dropped by the DOCX and Typst writers.
local function reread_inline_html(block)
  if not has_raw_html(block.content) then
    return nil
  end
  local html = pandoc.write(pandoc.Pandoc({ block }), "html")
  return html_blocks(html)
end

if is_html(FORMAT) then
  return {
    {
      RawBlock = function(raw)
        if is_html(raw.format) then
          raw.text = strip_remote_imports(raw.text)
          return raw
        end
      end,
    },
  }
end

return {
  {
    RawBlock = function(raw)
      if is_html(raw.format) then
        return html_blocks(raw.text)
      end
    end,
    Para = reread_inline_html,
    Plain = reread_inline_html,
  },
}
