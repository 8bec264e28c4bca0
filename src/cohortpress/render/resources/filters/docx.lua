--[[
docx.lua: the manuscript's shape in Word, styled by the reference document.

  * Table floats become a Word table with its caption above ("Table Caption" style), cell text
    in the "Table Heading", "Table Text" and "Table Group" paragraph styles (indented levels
    with em spaces), and the table notes as "Table Note" paragraphs under the table. Rules are
    the "Table" table style's (booktabs: heavy top and bottom, light under the header).
  * Caption labels ("Table I.", "Figure 1.") are bold.
  * The title block: pandoc writes title, subtitle and the author line; affiliations,
    correspondence, date, abstract and keywords follow as styled paragraphs, because the DOCX
    writer has no template for them.
]]

local EM_SPACE = "\u{2003}"

local function styled(inlines, style)
  return pandoc.Div({ pandoc.Para(inlines) }, { ["custom-style"] = style })
end

local function style_rows(rows, style)
  for _, row in ipairs(rows) do
    local row_style = row.attr.classes:includes("cp-group") and "Table Group" or style
    for _, cell in ipairs(row.cells) do
      local inlines = pandoc.utils.blocks_to_inlines(cell.contents)
      local level = tonumber(cell.attr.attributes["cp-indent"] or "0")
      if level > 0 then
        inlines:insert(1, pandoc.Str(string.rep(EM_SPACE, level)))
      end
      cell.contents = { styled(inlines, row_style) }
    end
  end
end

local function style_table(tbl)
  style_rows(tbl.head.rows, "Table Heading")
  for _, body in ipairs(tbl.bodies) do
    style_rows(body.head, "Table Heading")
    style_rows(body.body, "Table Text")
  end
  style_rows(tbl.foot.rows, "Table Text")
  return tbl
end

local function notes(div)
  local out = pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    out:insert(styled(pandoc.utils.blocks_to_inlines({ block }), "Table Note"))
  end
  return out
end

--- A table float: caption on the Word table (pandoc writes it above), notes under it.
local function table_float(div)
  local caption = div.content[1].content
  local out = pandoc.Blocks({})
  local placed = false
  for i = 2, #div.content do
    local block = div.content[i]
    if block.t == "Table" and not placed then
      block.caption = pandoc.Caption(caption)
      block.identifier = div.identifier
      out:insert(style_table(block))
      placed = true
    elseif block.t == "Div" and block.classes:includes("cp-table-notes") then
      out:extend(notes(block))
    else
      out:insert(block)
    end
  end
  if not placed then
    out:insert(1, pandoc.Div(caption, { ["custom-style"] = "Table Caption" }))
  end
  return out
end

local function meta_list(value)
  if value == nil then
    return {}
  end
  return value
end

local function author_line(authors)
  local line = pandoc.Inlines({})
  for i, author in ipairs(meta_list(authors)) do
    if i > 1 then
      line:extend({ pandoc.Str(","), pandoc.Space() })
    end
    line:extend(author.name)
    if author.marks then
      line:insert(pandoc.Superscript(author.marks))
    end
  end
  return line
end

local function front_blocks(meta)
  local out = pandoc.Blocks({})
  for _, affiliation in ipairs(meta_list(meta.affiliations)) do
    local text = pandoc.Inlines({ pandoc.Superscript({ pandoc.Str(pandoc.utils.stringify(affiliation.number)) }) })
    text:extend(affiliation.text)
    out:insert(styled(text, "Affiliation"))
  end
  if meta.correspondence then
    out:insert(styled(meta.correspondence, "Affiliation"))
  end
  if meta.date then
    out:insert(styled(meta.date, "Date"))
  end
  if meta.abstract then
    out:insert(styled({ pandoc.Str(pandoc.utils.stringify(meta["abstract-title"] or "Abstract")) }, "Abstract Title"))
    local abstract = meta.abstract
    if pandoc.utils.type(abstract) == "Inlines" then
      abstract = { pandoc.Para(abstract) }
    end
    out:insert(pandoc.Div(abstract, { ["custom-style"] = "Abstract" }))
  end
  if meta.keywords then
    local words = pandoc.Inlines({ pandoc.Emph({ pandoc.Str("Key"), pandoc.Space(), pandoc.Str("Words:") }), pandoc.Space() })
    for i, word in ipairs(meta.keywords) do
      if i > 1 then
        words:extend({ pandoc.Str(","), pandoc.Space() })
      end
      words:extend(word)
    end
    out:insert(styled(words, "Keywords"))
  end
  return out
end

local function front_matter(doc)
  local meta = doc.meta
  doc.blocks = front_blocks(meta) .. doc.blocks
  if meta.authors then
    meta.author = pandoc.MetaInlines(author_line(meta.authors))
  end
  meta.abstract = nil
  meta.date = nil
  return doc
end

return {
  {
    Span = function(span)
      if span.classes:includes("cp-label") then
        return pandoc.Strong(span.content)
      end
    end,
  },
  {
    traverse = "topdown",
    Div = function(div)
      if div.classes:includes("cp-tbl") then
        return table_float(div), false
      end
    end,
  },
  { Pandoc = front_matter },
}
