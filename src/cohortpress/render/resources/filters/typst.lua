--[[
typst.lua: the manuscript's shape in Typst, for the PDF.

  * Table floats (and tables outside floats) are written as Typst tables with booktabs rules:
    a heavy rule above the header and below the body, a light rule under the header and a short
    light rule under each spanner. They are wrapped in `cp-table` (defined in the template),
    which sets the caption above and the notes in small text under the table. A table at the
    float marked `landscape` (the one decision every format reads: render/_landscape.py) is
    set sideways (`landscape: true`): at the top level of the document on a float page of its
    own, so the text runs on before and after it; inside a div, list or quote in the text.
  * Floats go to the top of a page, never into the text of one; `#place.flush()` sets every
    float still waiting before the last section of the text (the Conclusion) and before the
    back matter (declarations, references, appendices), so none lands after the Conclusion.
  * Caption labels ("Table I.", "Figure 1.") are bold; figures are set full width.
  * Image paths are made relative to the Typst root (the staging folder), since the .typ file
    is written in a build folder.
]]

local ALIGN = { AlignLeft = "left", AlignCenter = "center", AlignRight = "right", AlignDefault = "left" }
local OPTIONS = { wrap_text = "none" }

local function typst_inlines(inlines)
  local text = pandoc.write(pandoc.Pandoc({ pandoc.Plain(inlines) }), "typst", OPTIONS)
  return (text:gsub("%s+$", ""))
end

local function typst_blocks(blocks)
  return (pandoc.write(pandoc.Pandoc(blocks), "typst", OPTIONS):gsub("%s+$", ""))
end

local SEPARATOR = "cohortpress-typst-cell-separator"

--- A separator no cell holds: the cells' text comes from workbooks and study.yml, and may
--- hold anything, this word included.
local function separator_for(cells)
  local texts = {}
  for _, cell in ipairs(cells) do
    table.insert(texts, pandoc.utils.stringify(cell.contents))
  end
  local all, separator, n = table.concat(texts, "\n"), SEPARATOR, 0
  while all:find(separator, 1, true) do
    n = n + 1
    separator = SEPARATOR .. "x" .. n
  end
  return separator
end

--- The Typst text of each cell, as typst_inlines writes it, in one pandoc.write: each call
--- of the writer has a fixed cost, and a table has a hundred cells.
local function typst_cells(cells)
  if #cells == 0 then
    return {}
  end
  local separator = separator_for(cells)
  local blocks = {}
  for i, cell in ipairs(cells) do
    if i > 1 then
      table.insert(blocks, pandoc.Plain({ pandoc.Str(separator) }))
    end
    table.insert(blocks, pandoc.Plain(pandoc.utils.blocks_to_inlines(cell.contents)))
  end
  local text = pandoc.write(pandoc.Pandoc(blocks), "typst", OPTIONS)
  local texts, start = {}, 1
  while true do
    local from, to = text:find(separator, start, true)
    local piece = text:sub(start, (from or 0) - 1)
    table.insert(texts, (piece:gsub("^\n", ""):gsub("%s+$", "")))
    if from == nil then
      break
    end
    start = to + 1
  end
  assert(#texts == #cells, "typst.lua: a table cell holds the cell separator")
  return texts
end

--- One cell, its content written as `body`; `wrapper` names a template function that styles
--- its content (cp-group).
local function cell_code(cell, body, wrapper)
  local level = tonumber(cell.attr.attributes["cp-indent"] or "0")
  if level > 0 then
    body = "#h(" .. level .. "em)" .. body
  end
  if wrapper then
    body = "#" .. wrapper .. "[" .. body .. "]"
  end
  local args = {}
  if cell.col_span > 1 then
    table.insert(args, "colspan: " .. cell.col_span)
  end
  if cell.row_span > 1 then
    table.insert(args, "rowspan: " .. cell.row_span)
  end
  if cell.alignment ~= "AlignDefault" then
    table.insert(args, "align: " .. ALIGN[cell.alignment])
  end
  if #args == 0 then
    return "[" .. body .. "]"
  end
  return "table.cell(" .. table.concat(args, ", ") .. ")[" .. body .. "]"
end

--- Columns taken in each header row by cells spanning down from rows above.
local function occupied_columns(rows)
  local taken = {}
  for r, row in ipairs(rows) do
    taken[r] = taken[r] or {}
    local col = 0
    for _, cell in ipairs(row.cells) do
      while taken[r][col] do
        col = col + 1
      end
      cell.attr.attributes["cp-column"] = tostring(col)
      for below = r + 1, r + cell.row_span - 1 do
        taken[below] = taken[below] or {}
        for c = col, col + cell.col_span - 1 do
          taken[below][c] = true
        end
      end
      col = col + cell.col_span
    end
  end
end

--- Header rows between a heavy and a light rule; a spanner (a cell over several columns,
--- above the last header row) gets a light rule under its columns, as booktabs' \cmidrule,
--- kept apart from its neighbours' by the column gutter.
local function header_code(rows, text)
  occupied_columns(rows)
  local lines = { "table.hline(stroke: cp-rule-heavy)," }
  for r, row in ipairs(rows) do
    local cells, rules = {}, {}
    for _, cell in ipairs(row.cells) do
      table.insert(cells, cell_code(cell, text()))
      if cell.col_span > 1 and r < #rows then
        local start = tonumber(cell.attr.attributes["cp-column"])
        table.insert(rules, string.format(
          "table.hline(start: %d, end: %d, stroke: cp-rule-light),", start, start + cell.col_span))
      end
    end
    table.insert(lines, table.concat(cells, ", ") .. ",")
    for _, rule in ipairs(rules) do
      table.insert(lines, rule)
    end
  end
  table.insert(lines, "table.hline(stroke: cp-rule-light),")
  return "table.header(\n" .. table.concat(lines, "\n") .. "\n),"
end

local function body_code(rows, text)
  local lines = {}
  for _, row in ipairs(rows) do
    local cells = {}
    local group = row.attr.classes:includes("cp-group")
    for _, cell in ipairs(row.cells) do
      table.insert(cells, cell_code(cell, text(), group and "cp-group" or nil))
    end
    table.insert(lines, table.concat(cells, ", ") .. ",")
  end
  return table.concat(lines, "\n")
end

--- The table's rows in the order they are written: header, each body's head and body, foot.
local function written_rows(tbl)
  local groups = { tbl.head.rows }
  for _, body in ipairs(tbl.bodies) do
    table.insert(groups, body.head)
    table.insert(groups, body.body)
  end
  table.insert(groups, tbl.foot.rows)
  return groups
end

local function table_code(tbl)
  local aligns = {}
  for _, spec in ipairs(tbl.colspecs) do
    table.insert(aligns, ALIGN[spec[1]])
  end
  local cells = {}
  for _, rows in ipairs(written_rows(tbl)) do
    for _, row in ipairs(rows) do
      for _, cell in ipairs(row.cells) do
        table.insert(cells, cell)
      end
    end
  end
  local texts, written = typst_cells(cells), 0
  local function text()
    written = written + 1
    return texts[written]
  end
  local parts = {
    "columns: " .. #tbl.colspecs .. ",",
    "align: (" .. table.concat(aligns, ", ") .. ",),",
    header_code(tbl.head.rows, text),
  }
  for _, body in ipairs(tbl.bodies) do
    table.insert(parts, body_code(body.head, text))
    table.insert(parts, body_code(body.body, text))
  end
  table.insert(parts, body_code(tbl.foot.rows, text))
  table.insert(parts, "table.hline(stroke: cp-rule-heavy),")
  return "cp-booktabs(\n" .. table.concat(parts, "\n") .. "\n)"
end

local function float_code(tbl, caption, notes, id, landscape, top)
  local args = {}
  if landscape then
    table.insert(args, "landscape: true")
  end
  if not top then
    table.insert(args, "in-text: true")
  end
  if caption then
    table.insert(args, "caption: [" .. typst_inlines(caption) .. "]")
  end
  if notes and #notes > 0 then
    table.insert(args, "notes: [" .. typst_blocks(notes) .. "]")
  end
  local code = "#cp-table(" .. table.concat(args, ", ") .. ")[#" .. table_code(tbl) .. "]"
  if id and id ~= "" then
    code = code .. " <" .. id .. ">"
  end
  return pandoc.RawBlock("typst", code .. "\n")
end

--- A table float's parts: the caption inlines, the table, the notes, other content.
local function table_float(div, top)
  local landscape = div.classes:includes("landscape")
  local caption = pandoc.utils.blocks_to_inlines(div.content[1].content)
  local tbl, notes, rest = nil, pandoc.Blocks({}), pandoc.Blocks({})
  for i = 2, #div.content do
    local block = div.content[i]
    if block.t == "Table" and tbl == nil then
      tbl = block
    elseif block.t == "Div" and block.classes:includes("cp-table-notes") then
      notes:extend(block.content)
    else
      rest:insert(block)
    end
  end
  if tbl == nil then
    rest:insert(1, pandoc.Para(caption))
    return rest
  end
  rest:insert(1, float_code(tbl, caption, notes, div.identifier, landscape, top))
  return rest
end

local function root_relative(image)
  local src = image.src
  if not src:match("^/") and not src:match("^%a[%w+.-]*:") then
    image.src = "/" .. src
  end
  return image
end

local TOP_LEVEL = "cp-top-level"

--- Marks the tables and table floats that are blocks of the document itself, not of a div.
local function mark_top_level(doc)
  for _, block in ipairs(doc.blocks) do
    if block.t == "Div" and block.classes:includes("cp-tbl") then
      block.attributes[TOP_LEVEL] = "1"
    elseif block.t == "Table" then
      block.attr.attributes[TOP_LEVEL] = "1"
    end
  end
  return doc
end

local function top_level(attributes)
  local marked = attributes[TOP_LEVEL] == "1"
  attributes[TOP_LEVEL] = nil
  return marked
end

local FLUSH = pandoc.RawBlock("typst", "#place.flush()")

--- Where the back matter starts: the declarations, the references (or their heading), the
--- first appendix; nil when there is none.
local function back_matter(blocks)
  for i, block in ipairs(blocks) do
    if block.t == "Header" and (block.identifier == "declarations" or block.classes:includes("appendix")) then
      return i
    end
    if block.t == "Div" and block.identifier == "refs" then
      local before = blocks[i - 1]
      return (before and before.t == "Header") and i - 1 or i
    end
  end
  return nil
end

--- Floats wait no longer than the last section of the text: the pending ones are set before
--- its heading (the Conclusion) and before the back matter.
local function flush_floats(doc)
  local back = back_matter(doc.blocks)
  if back == nil then
    return doc
  end
  local level = math.huge
  for i = 1, back - 1 do
    if doc.blocks[i].t == "Header" then
      level = math.min(level, doc.blocks[i].level)
    end
  end
  local last = nil
  for i = 1, back - 1 do
    if doc.blocks[i].t == "Header" and doc.blocks[i].level == level then
      last = i
    end
  end
  doc.blocks:insert(back, FLUSH)
  if last ~= nil then
    doc.blocks:insert(last, FLUSH)
  end
  return doc
end

return {
  { Pandoc = mark_top_level },
  { Pandoc = flush_floats },
  {
    Span = function(span)
      if span.classes:includes("cp-label") then
        return pandoc.Strong(span.content)
      end
    end,
    Image = root_relative,
  },
  {
    traverse = "topdown",
    Div = function(div)
      if div.classes:includes("cp-tbl") then
        return table_float(div, top_level(div.attributes)), false
      end
      if div.classes:includes("cp-table-notes") then
        return pandoc.Div(div.content, { ["typst:text:size"] = "0.8em" }), false
      end
    end,
    Table = function(tbl)
      return float_code(tbl, nil, nil, nil, false, top_level(tbl.attr.attributes)), false
    end,
    Figure = function(fig)
      fig.content = fig.content:walk({
        Image = function(image)
          image.attributes.width = image.attributes.width or "100%"
          return image
        end,
      })
      return fig
    end,
  },
}
